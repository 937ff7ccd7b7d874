using System.Diagnostics;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class LifecycleTests(ITestOutputHelper output)
{
    /// <summary>A node's shutdown should not wait for peers to hang up: well under the host's 30 s shutdown timeout.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stop_NodeWithInboundLinks_StopsPromptlyAndPeersSeeTheLinkDown()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync();
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.Count == 2), Timeouts.Converge, cluster.DescribeState);
        // The node others dialed: all its links are inbound streams on its mesh listener.
        var victim = cluster.Nodes.OrderByDescending(n => n.Sync.Links.Count(l => !l.Outbound)).First();
        var inbound = victim.Sync.Links.Count(l => !l.Outbound);
        Assert.True(inbound > 0, "no node has an inbound link");
        var survivors = cluster.Nodes.Where(n => n != victim).ToList();

        // Act
        var clock = Stopwatch.StartNew();
        await cluster.StopNodeAsync(victim.Index);
        var stopped = clock.Elapsed;

        // Assert
        output.WriteLine($"{victim} with {inbound} inbound link(s) stopped in {stopped.TotalMilliseconds:0} ms");
        Assert.True(stopped < StopBound, $"{victim} took {stopped.TotalSeconds:0.0} s to stop with {inbound} inbound link(s)");
        await Retry.Until(() => survivors.All(n => !n.LinkedPeers.Contains(victim.Id)), Timeouts.Call, "the survivors dropped their links to the stopped node");
        Assert.All(survivors, n => Assert.True(cluster.Logs.Events("LinkDown", n.Index).Count > 0));
    }

    [Fact]
    public async Task Kill_OneOfFour_SurvivorsKeepReplicatingAndItCatchesUpWhenBack()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(4, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();

        // Act
        await cluster.KillNodeAsync(2);
        var record = await cluster[0].PublishAdvisoryAsync("Published while Torino is down");
        await Retry.Until(() => cluster[1].Holds(record.Id) && cluster[3].Holds(record.Id), Timeouts.Converge, "the survivors hold the new record");
        await cluster.StartNodeAsync(2);
        await cluster.WaitForStableAsync();

        // Assert
        Assert.True(cluster[2].Holds(record.Id));
        Assert.Empty(cluster[2].Node.Verify().Failures);
    }

    [Fact]
    public async Task DelayedLinks_RecordsStillSpreadButNoFasterThanTheDelay()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var delay = TimeSpan.FromMilliseconds(150);
        cluster.DelayLinks(delay);

        // Act
        var clock = Stopwatch.StartNew();
        var record = await cluster[0].PublishAdvisoryAsync("Published over slow links");
        await Retry.Until(() => cluster.Nodes.All(n => n.Holds(record.Id)), Timeouts.Converge, "the record reaches every node over the delayed links", TimeSpan.FromMilliseconds(5));

        // Assert
        output.WriteLine($"with {delay.TotalMilliseconds:0} ms per chunk the record was on all 3 nodes after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed >= delay, $"the record arrived after {clock.ElapsedMilliseconds} ms, faster than the {delay.TotalMilliseconds} ms delay: it bypassed the proxies");
        cluster.DelayLinks(TimeSpan.Zero);
        await cluster.WaitForStableAsync();
    }
}
