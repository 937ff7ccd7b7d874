using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>
/// Meters are process-wide: the Prometheus exporter of one node would also see another node's
/// "I4C.Node" meter alive in the same test process. These tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics (alone)";
}

/// <summary>GET /metrics on the admin HTTP listener: Prometheus text, behind the admin token, with the node's real numbers.</summary>
[Collection(MetricsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MetricsTests
{
    private static async Task<(HttpStatusCode Status, string Body, string? ContentType)> ScrapeAsync(TestNode node, string? token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(node.Host.HttpUrl), Timeout = TestTimeouts.Default };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Metrics_AfterPublishing_SeriesAndValuesAreRight()
    {
        // Arrange
        await using var node = await TestNode.StartAsync(o => o with { MaxPayloadBytes = 2048 });
        await node.Admin.PublishAsync(Requests.Advisory("first"), Deadline()).ResponseAsync.WithTimeout();
        await node.Admin.PublishAsync(Requests.Advisory("second"), Deadline()).ResponseAsync.WithTimeout();
        await node.Admin.PublishAsync(Requests.Incident(tlp: Tlp.Amber), Deadline()).ResponseAsync.WithTimeout();
        // One record over the payload limit: refused, counted as OVERSIZE and as a record-size limit hit.
        var tooBig = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(Requests.Advisory(body: new string('x', 4000)), Deadline()).ResponseAsync.WithTimeout());
        Assert.Equal(StatusCode.FailedPrecondition, tooBig.StatusCode);

        // Act
        var (status, body, type) = await ScrapeAsync(node, node.AdminToken);
        var samples = Prometheus.Parse(body);

        // Assert
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain", type);
        Assert.Contains("service_name=\"i4c-node\"", body, StringComparison.Ordinal);
        Assert.Equal(2, samples.Value("i4c_records_stored", ("tlp", "green"), ("kind", "advisory")));
        Assert.Equal(1, samples.Value("i4c_records_stored", ("tlp", "amber"), ("kind", "incident")));
        Assert.Null(samples.Value("i4c_records_stored", ("tlp", "red")));
        Assert.Equal(0, samples.Value("i4c_peers_connected"));
        Assert.Equal(1, samples.Value("i4c_records_rejected_total", ("reason", "OVERSIZE")));
        Assert.Equal(1, samples.Value("i4c_limit_hits_total", ("limit", "record_size")));
        Assert.Equal(0, samples.Value("i4c_sync_missing_records"));
        Assert.True(samples.Value("i4c_sync_lag_seconds") >= 0);
        Assert.Equal(0, samples.Value("i4c_mesh_bytes_total", ("direction", "in")));
        Assert.NotNull(samples.Value("i4c_udp_bytes_total", ("direction", "out")));
        Assert.True(samples.Value("i4c_database_bytes") > 0);
        Assert.Equal(10L * 1024 * 1024 * 1024, samples.Value("i4c_database_limit_bytes"));
        Assert.True(node.Log.Has("LimitHit"));
    }

    [Fact]
    public async Task Metrics_WithoutOrWithWrongToken_401AndNoSeries()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var none = await ScrapeAsync(node, token: null);
        var wrong = await ScrapeAsync(node, token: "not-the-token");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.DoesNotContain("i4c_", none.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("i4c_", wrong.Body, StringComparison.Ordinal);
    }
}
