using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using I4C.Node.Hosting;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Who may drive a node: only a caller on the loopback admin listener holding admin.token.</summary>
[Trait("Category", "Integration")]
public sealed class AdminSecurityTests
{
    [Fact]
    public async Task Admin_CallWithoutToken_UnauthenticatedAndLogged()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var channel = Open(node.Host.AdminUrl, bearerToken: null);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.Client().GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.True(node.Log.Has("AdminUnauthenticated", LogLevel.Warning));
    }

    [Fact]
    public async Task Admin_CallWithWrongToken_UnauthenticatedAndLoggedAsWarning()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var channel = Open(node.Host.AdminUrl, bearerToken: "not-the-token");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.Client().PublishAsync(Requests.Advisory(), Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        var entry = Assert.Single(node.Log.Entries, e => e.EventName == "AdminUnauthenticated");
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.DoesNotContain(node.AdminToken, entry.Message, StringComparison.Ordinal);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Fact]
    public async Task Admin_OnMeshListenerWithRightToken_PermissionDenied()
    {
        // Arrange: the mesh listener speaks TLS with the node's self-signed certificate.
        await using var node = await TestNode.StartAsync();
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + node.AdminToken);
            return Task.CompletedTask;
        });
        using var channel = GrpcChannel.ForAddress("https://" + node.Host.Runtime.MeshEndpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.Client().GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.True(node.Log.Has("AdminUnauthenticated", LogLevel.Warning));
    }

    [Fact]
    public async Task DataDirectory_SecretFiles_AreOwnerOnly()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        await node.Admin.PublishAsync(Requests.Advisory(), Deadline()).ResponseAsync.WithTimeout();

        // Act
        var modes = new[] { DataDirectory.TokenFileName, DataDirectory.KeyFileName, DataDirectory.CertificateFileName, DataDirectory.DatabaseFileName }
            .ToDictionary(f => f, f => FileModes.Of(Path.Combine(node.DataPath, f)));

        // Assert
        Assert.All(modes, m => Assert.True(m.Value == SecureFile.OwnerOnly, $"{m.Key} has mode {FileModes.Octal(m.Value)}, expected 600"));
    }

    [Theory]
    [InlineData("0.0.0.0:0")]
    [InlineData("192.0.2.10:7410")]
    [InlineData("*:7410")]
    public void NodeOptionsLoader_NonLoopbackAdmin_ThrowsNamingLoopback(string admin)
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(["--admin", admin, "--data", dir.Path], _ => null));

        // Assert
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0:7412")]
    [InlineData("192.0.2.10:7412")]
    public void NodeOptionsLoader_NonLoopbackHttp_ThrowsNamingLoopback(string http)
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(["--http", http, "--data", dir.Path], _ => null));

        // Assert
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
        Assert.Contains("--http", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "no bearer token")]
    [InlineData("Bearer not-the-token", "wrong bearer token")]
    public async Task AdminHttp_WithoutRightToken_401WithJsonErrorAndLogged(string? authorization, string logged)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(node.Host.HttpUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        // Act
        using var response = await http.SendAsync(request).WithTimeout();
        var body = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var json = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("401", json.RootElement.GetProperty("http_status").GetString());
        Assert.DoesNotContain(node.AdminToken, body, StringComparison.Ordinal);
        Assert.Contains(node.Log.Entries, e => e.EventName == "AdminUnauthenticated" && e.Level == LogLevel.Warning && e.Message.EndsWith(logged, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AdminHttp_EndpointFile_NamesTheHttpListener()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var endpoint = node.Data.ReadEndpoint();

        // Assert
        Assert.NotNull(endpoint);
        Assert.Equal(node.Host.HttpUrl, endpoint.Http);
        Assert.NotEqual(new Uri(endpoint.Admin).Port, new Uri(endpoint.Http!).Port);
    }
}
