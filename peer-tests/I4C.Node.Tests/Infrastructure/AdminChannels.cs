using Grpc.Core;
using Grpc.Net.Client;
using I4C.Storage;
using AdminClient = I4C.Protocol.V1.Admin.AdminClient;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>Opens Admin gRPC channels the way an operator's tool does: h2c on loopback, "authorization: Bearer &lt;token&gt;".</summary>
public static class AdminChannels
{
    /// <summary>A channel to <paramref name="adminUrl"/> sending <paramref name="bearerToken"/> on every call (none when null).</summary>
    public static GrpcChannel Open(string adminUrl, string? bearerToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(adminUrl);
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 };
        if (bearerToken is not null)
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + bearerToken);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }
        return GrpcChannel.ForAddress(adminUrl, options);
    }

    /// <summary>An authenticated channel to the node running for <paramref name="data"/>, found through admin.endpoint and admin.token.</summary>
    public static GrpcChannel OpenFor(DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var endpoint = data.ReadEndpoint() ?? throw new InvalidOperationException($"no {DataDirectory.EndpointFileName} in {data.Root}");
        return Open(endpoint.Admin, data.ReadAdminToken());
    }

    public static AdminClient Client(this GrpcChannel channel) => new(channel);

    /// <summary>Call options with a deadline, so no call in a test can hang.</summary>
    public static CallOptions Deadline(TimeSpan? timeout = null) => new(deadline: DateTime.UtcNow + (timeout ?? TestTimeouts.Default));
}
