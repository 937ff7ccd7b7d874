using System.Text.Json.Nodes;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class CliTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cli_SyncWaitOnSyncedNode_ExitsZeroAndPeersListsConnectedPeers()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync();
        await cluster[1].PublishAdvisoryAsync("Torino and Bonn should see this");
        await cluster.WaitForStableAsync();
        await Retry.Until(() => cluster[0].Sync.Links.Count == 2, Timeouts.Converge, cluster.DescribeState);

        // Act
        var sync = await cluster[0].CliAsync("sync", "--wait", "--timeout", "20s");
        var syncJson = await cluster[0].CliAsync("sync", "--json");
        var peers = await cluster[0].CliAsync("peers", "--json");

        // Assert
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Contains("In sync with", sync.Stdout, StringComparison.Ordinal);
        Assert.True(syncJson.ExitCode == 0, syncJson.ToString());
        var state = JsonNode.Parse(syncJson.Stdout)!;
        Assert.True(state["inSync"]!.GetValue<bool>());
        Assert.Equal(2u, state["connectedPeers"]!.GetValue<uint>());
        Assert.Equal(0ul, state["missing"]!.GetValue<ulong>());

        Assert.True(peers.ExitCode == 0, peers.ToString());
        var listed = JsonNode.Parse(peers.Stdout)!["peers"]!.AsArray();
        var connected = listed.Where(p => p!["state"]!.GetValue<string>() == "connected").ToList();
        Assert.Equal(
            cluster[0].LinkedPeers.Select(p => p.Text).Order(StringComparer.Ordinal),
            connected.Select(p => p!["nodeId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(2, connected.Count);
        Assert.All(connected, p =>
        {
            Assert.Contains(p!["direction"]!.GetValue<string>(), new[] { "inbound", "outbound" });
            Assert.False(string.IsNullOrEmpty(p["endpoint"]!.GetValue<string>()));
            Assert.Equal(0, p["score"]!.GetValue<int>());
        });
        Assert.Contains(connected, p => p!["name"]!.GetValue<string>() == "Ville de Lyon");
    }
}
