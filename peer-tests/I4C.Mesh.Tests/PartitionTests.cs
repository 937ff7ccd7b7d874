using System.Diagnostics;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Partition_HalvesPublishWhileCut_DivergeThenConvergeAfterHeal()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(5, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        int[] west = [0, 1];
        int[] east = [2, 3, 4];

        // Act: cut
        cluster.Partition(west, east);
        await Retry.Until(() => west.All(i => cluster[i].LinkedPeers.All(p => west.Contains(cluster.IndexOf(p))))
                && east.All(i => cluster[i].LinkedPeers.All(p => east.Contains(cluster.IndexOf(p)))),
            Timeouts.Converge, () => "no link crosses the partition; " + cluster.DescribeState());

        var westRecords = new List<RecordId>();
        var eastRecords = new List<RecordId>();
        for (var i = 0; i < 10; i++)
        {
            westRecords.Add((await cluster[west[i % west.Length]].PublishAdvisoryAsync($"West advisory {i}")).Id);
            eastRecords.Add((await cluster[east[i % east.Length]].PublishAdvisoryAsync($"East advisory {i}")).Id);
        }
        // Each half holds its own records, and the nodes have tried to dial across (and were refused).
        int CrossRefusals() => west.Sum(i => east.Sum(j => cluster.ProxiesBetween(i, j).Concat(cluster.ProxiesBetween(j, i)).Sum(p => p.Refused)));
        await Retry.Until(() => west.All(i => westRecords.All(cluster[i].Holds)) && east.All(i => eastRecords.All(cluster[i].Holds)) && CrossRefusals() > 0,
            Timeouts.Converge, () => $"each half holds its own records and a dial across was refused ({CrossRefusals()} so far); " + cluster.DescribeState());
        // Let a few anti-entropy rounds run inside each half: they must not leak across.
        var settled = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.All(l => l.LastSyncUnixMs > settled)),
            Timeouts.Converge, "every live link completed an anti-entropy round after the halves settled");

        // Assert: diverged
        foreach (var i in west)
        {
            Assert.All(eastRecords, id => Assert.False(cluster[i].Holds(id), $"{cluster[i]} holds east record {id} while partitioned"));
        }
        foreach (var i in east)
        {
            Assert.All(westRecords, id => Assert.False(cluster[i].Holds(id), $"{cluster[i]} holds west record {id} while partitioned"));
        }
        output.WriteLine($"{CrossRefusals()} dials across the partition were refused while it lasted");

        // Act: heal
        var clock = Stopwatch.StartNew();
        cluster.Heal();
        await cluster.WaitForStableAsync();
        output.WriteLine($"converged {clock.ElapsedMilliseconds} ms after heal");

        // Assert: converged
        foreach (var node in cluster.Nodes)
        {
            Assert.All(westRecords.Concat(eastRecords), id => Assert.True(node.Holds(id), $"{node} lacks {id} after heal"));
            Assert.Empty(node.Node.Verify().Failures);
        }
    }
}
