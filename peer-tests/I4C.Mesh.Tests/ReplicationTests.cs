using System.Diagnostics;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class ReplicationTests(ITestOutputHelper output)
{
    /// <summary>Eager push to 3 peers plus a lazy IHAVE to the rest: a fresh record should be everywhere well within a second on loopback.</summary>
    private static readonly TimeSpan SpreadBound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Publish_OnOneOfFive_ReachesEveryNodeWithinSeconds()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(5, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.Count == 4), Timeouts.Converge, () => "the mesh is fully linked; " + cluster.DescribeState());

        var latencies = new List<double>();
        foreach (var author in cluster.Nodes)
        {
            // Act
            var clock = Stopwatch.StartNew();
            var record = await author.PublishAdvisoryAsync($"Phishing wave against the tax office of {author.Name}");
            var committed = clock.Elapsed.TotalMilliseconds;
            var arrived = await ArrivalTimesAsync(cluster, record.Id, clock);

            // Assert
            var slowest = arrived.Max();
            output.WriteLine($"published on {author}: committed after {committed:0.0} ms; held by {string.Join(", ", arrived.Select((a, i) => $"n{i}@{a:0.0}"))} ms; on all 5 after {slowest:0.0} ms");
            latencies.Add(slowest);
            Assert.True(slowest < SpreadBound.TotalMilliseconds, $"the record took {slowest:0} ms to reach every node (bound {SpreadBound.TotalMilliseconds} ms)");
        }
        latencies.Sort();
        output.WriteLine($"latency from publish to all 5 nodes over {latencies.Count} records: min {latencies[0]:0.0} ms, median {latencies[latencies.Count / 2]:0.0} ms, max {latencies[^1]:0.0} ms");

        // The operator's ways in spread the same way (the time includes the API call).
        var viaAdminClock = Stopwatch.StartNew();
        var viaAdmin = await cluster[3].PublishViaAdminAsync("Published through the Admin API");
        var adminArrival = (await ArrivalTimesAsync(cluster, viaAdmin, viaAdminClock)).Max();
        var viaCliClock = Stopwatch.StartNew();
        var viaCli = await cluster[4].PublishViaCliAsync("Published with i4c publish");
        var cliArrival = (await ArrivalTimesAsync(cluster, viaCli, viaCliClock)).Max();
        output.WriteLine($"Admin API publish on all 5 after {adminArrival:0.0} ms; CLI publish on all 5 after {cliArrival:0.0} ms (both including the call)");
        Assert.True(adminArrival < SpreadBound.TotalMilliseconds + Timeouts.Call.TotalMilliseconds);
        Assert.True(cliArrival < SpreadBound.TotalMilliseconds + Timeouts.Call.TotalMilliseconds);
        await cluster.WaitForStableAsync();
    }

    /// <summary>Polls every node (every 2 ms) until all hold the record; returns when each first held it, in ms on <paramref name="clock"/>.</summary>
    private static async Task<double[]> ArrivalTimesAsync(MeshCluster cluster, RecordId id, Stopwatch clock)
    {
        var arrived = new double?[cluster.Nodes.Count];
        await Retry.Until(() =>
        {
            foreach (var node in cluster.Nodes)
            {
                if (arrived[node.Index] is null && node.Holds(id))
                {
                    arrived[node.Index] = clock.Elapsed.TotalMilliseconds;
                }
            }
            return arrived.All(a => a is not null);
        }, Timeouts.Converge, () => $"record {id} is on every node; arrived: {string.Join(", ", arrived.Select((a, i) => $"n{i}={a?.ToString("0") ?? "-"}"))}", TimeSpan.FromMilliseconds(2));
        return arrived.Select(a => a!.Value).ToArray();
    }

    [Fact]
    public async Task Restart_MemberThatWasDown_CatchesUpOnRecordsPublishedMeanwhile()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(5, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var endpointBefore = cluster[3].MeshEndpoint;
        await cluster.StopNodeAsync(3);
        await Retry.Until(() => cluster.RunningNodes.All(n => !n.LinkedPeers.Contains(cluster[3].Id)), Timeouts.Converge, "nobody is linked to the stopped node");

        var published = new List<RecordId>();
        var authors = new[] { 0, 1, 2, 4 };
        for (var i = 0; i < 20; i++)
        {
            var author = cluster[authors[i % authors.Length]];
            published.Add((await author.PublishAdvisoryAsync($"Advisory {i} while Utrecht was down")).Id);
        }

        // Act
        var clock = Stopwatch.StartNew();
        await cluster.StartNodeAsync(3);
        await cluster.WaitForStableAsync();
        output.WriteLine($"node 3 caught up {published.Count} records {clock.ElapsedMilliseconds} ms after its restart began");

        // Assert
        Assert.NotEqual(endpointBefore, cluster[3].MeshEndpoint);
        Assert.All(published, id => Assert.True(cluster[3].Holds(id), $"node 3 lacks {id}"));
        // Every other node learned the restarted node's new card (its new endpoint) and linked with it again.
        await Retry.Until(() => cluster.RunningNodes.Where(n => n.Index != 3).All(n => n.Mesh.Roster.Get(cluster[3].Id)!.Card.MeshEndpoints.Contains(cluster[3].MeshEndpoint)),
            Timeouts.Converge, "every node holds node 3's new card");
        Assert.Empty(cluster[3].Node.Verify().Failures);
    }
}
