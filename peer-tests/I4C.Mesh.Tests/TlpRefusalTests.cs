using Grpc.Core;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Hosting;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>TLP:RED needs named recipients: every way to publish refuses it without them, and nothing is stored.</summary>
[Trait("Category", "Peer")]
public sealed class TlpRefusalTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1;

    [Fact]
    public async Task RedWithoutRecipients_ThroughPublishAsyncAdminAndCli_RefusedNamingTheRecipientsAndNothingStored()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(2, output);
        cluster.Expect("PublishRefused", A);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var ids = cluster.Nodes.Select(n => n.RecordIds()).ToList();

        // Act + Assert: LocalNode.PublishAsync, no audience at all and only itself as audience.
        var direct = await Assert.ThrowsAsync<PublishRefusedException>(() => cluster[A].PublishAdvisoryAsync("RED for nobody", "No recipients.", Tlp.Red, []));
        Assert.Contains("recipients", direct.Message, StringComparison.Ordinal);
        Assert.Contains("--to", direct.Message, StringComparison.Ordinal);
        var self = await Assert.ThrowsAsync<PublishRefusedException>(() => cluster[A].PublishAdvisoryAsync("RED for itself", "Only itself.", Tlp.Red, [cluster[A].Id]));
        Assert.Contains("--to", self.Message, StringComparison.Ordinal);

        // The Admin API: FAILED_PRECONDITION with the same explanation.
        var (channel, client) = cluster[A].AdminClient();
        using (channel)
        {
            var request = new PublishRequest { Tlp = Tlp.Red, Advisory = Advisories.Create("RED through the Admin API, for nobody", cluster[A].Name) };
            var admin = await Assert.ThrowsAsync<RpcException>(() => client.PublishAsync(request, deadline: DateTime.UtcNow + Timeouts.Call).ResponseAsync.Within(Timeouts.Call, "Admin.Publish"));
            Assert.Equal(StatusCode.FailedPrecondition, admin.StatusCode);
            Assert.Contains("recipients", admin.Status.Detail, StringComparison.Ordinal);
        }

        // The CLI: exit 5 (refused), the message on stderr says to add --to.
        var cli = await cluster[A].CliAsync("publish", "advisory", "--tlp", "red", "--title", "RED through the CLI, for nobody", "--body", "No recipients.");
        Assert.True(cli.ExitCode == 5, cli.ToString());
        Assert.Contains("--to", cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(cli.Stdout);

        // Nothing stored, on the author or on its peer.
        await cluster[B].Sync.WaitInSyncAsync(TimeSpan.FromSeconds(10), CancellationToken.None).Within(Timeouts.Converge, "B syncing");
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            Assert.True(ids[i].SetEquals(cluster[i].RecordIds()), $"{cluster[i]} stored something: {cluster[i].RecordCount} records, {ids[i].Count} before");
            Assert.DoesNotContain(cluster[i].Node.Store.Heads(), h => h.Red);
        }
        Assert.Equal(4, cluster.Logs.Events("PublishRefused", A).Count);
    }
}
