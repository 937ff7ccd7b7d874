using I4C.Mesh.Tests.Harness;
using I4C.Node.Mesh;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// TLP:RED travels only on direct links, so the author's connection manager must open a link to
/// every recipient it is not linked to, beyond the --peers target if need be (docs/tlp.md,
/// "TLP:RED travels only on direct links").
/// </summary>
[Trait("Category", "Peer")]
public sealed class TlpRedDeliveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RedRecipient_CutOffFromTheAuthorThenReachable_AuthorLinksToItAndDelivers()
    {
        // Arrange: four nodes keeping three links each (a full mesh). Roles by node id: of two links
        // between the same pair, the one dialed by the smaller id survives, so the author (smallest id)
        // and the recipient cut off from it (next smallest) hold mostly links they dialed themselves.
        var options = new MeshClusterOptions { Mesh = new MeshOptions { AntiEntropyInterval = TimeSpan.FromMilliseconds(300), TargetPeers = 3 } };
        await using var cluster = await MeshCluster.StartAsync(4, output, options);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var byId = cluster.Nodes.OrderBy(n => n.Id.Text, StringComparer.Ordinal).Select(n => n.Index).ToArray();
        var (author, cutOff, linked) = (cluster[byId[0]], cluster[byId[1]], cluster[byId[2]]);
        cluster.Partition([author.Index], [cutOff.Index]);
        await Retry.Until(() => !author.Sync.IsLinked(cutOff.Id) && !cutOff.Sync.IsLinked(author.Id), Timeouts.Converge, () => "the author and the cut-off recipient are unlinked; " + cluster.DescribeState());

        // Act
        var red = await author.PublishAdvisoryAsync("Bonn: RED for two recipients", "Direct links only.", Tlp.Red, [cutOff.Id, linked.Id]);
        await Retry.Until(() => linked.Holds(red.Id), Timeouts.Converge, $"{linked} (linked to the author) receives the RED record");
        output.WriteLine($"author {author}: links {string.Join(", ", author.Sync.Links.Select(l => $"{cluster.IndexOf(l.Peer)} {(l.Outbound ? "out" : "in")}"))}; " +
            $"cut off {cutOff}: links {string.Join(", ", cutOff.Sync.Links.Select(l => $"{cluster.IndexOf(l.Peer)} {(l.Outbound ? "out" : "in")}"))}");
        cluster.Heal();

        // Assert: the recipient gets it, directly from the author.
        await Retry.Until(() => cutOff.Holds(red.Id), Timeouts.Converge, () =>
            $"{cutOff} receives the RED record once it can be reached; author's links: [{string.Join(",", author.LinkedPeers.Select(cluster.IndexOf))}], " +
            $"author's dial candidates: {string.Join("; ", author.Connections.Candidates.Select(c => $"{(c.Member is null ? "?" : cluster.IndexOf(c.Member).ToString(System.Globalization.CultureInfo.InvariantCulture))} dialing={c.Dialing} failures={c.Failures}"))}");
        Assert.Contains(author.Node.Store.Audit(red.Id, 100), e => e.Peer.Equals(cutOff.Id));
        Assert.All(cluster.Nodes.Where(n => n != author), n => Assert.Empty(n.Node.Store.Audit(red.Id, 100)));
    }
}
