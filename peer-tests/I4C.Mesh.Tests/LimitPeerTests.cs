using System.Diagnostics;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Operations;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// The resource limits of docs/operations.md ("Resource limits") on a live mesh: --max-peers
/// and the records-per-author-per-minute rate on records arriving from peers. The limits'
/// arithmetic has unit tests (I4C.Node.Tests, LimitTests); here real nodes dial, refuse,
/// defer and catch up.
/// </summary>
[Trait("Category", "Peer")]
public sealed class LimitPeerTests(ITestOutputHelper output)
{
    private const string Refusal = "Unavailable: This node has reached its limit of 1 mesh links (--max-peers); link with another member.";

    [Fact]
    public async Task MaxPeers_OneOnANodeOfFour_NeverExceededDialersRefusedUnpenalisedAndRecordsReachEveryone()
    {
        // Arrange: node 0 may hold one link (and aims for one, since --max-peers must be at least --peers);
        // the other three aim for six, so each keeps dialing it.
        await using var cluster = await MeshCluster.StartAsync(4, output, new MeshClusterOptions
        {
            Configure = (i, o) => i == 0 ? o with { MaxPeers = 1, Mesh = o.Mesh with { TargetPeers = 1 } } : o,
        });
        cluster.Expect("LimitHit", node: 0);
        var capped = cluster[0];
        var mostLinks = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                mostLinks = Math.Max(mostLinks, capped.Sync.Links.Count);
                await Task.Delay(10, CancellationToken.None);
            }
        });

        // Act: found the mesh (every node links), let the dialers knock for a few seconds, publish on both sides of the cap.
        await cluster.FoundAsync();
        await Retry.Until(() => Refusals(cluster, capped.MeshEndpoint).Count >= 2, Timeouts.Converge,
            () => $"at least two dials to node 0 are refused; so far {Refusals(cluster, capped.MeshEndpoint).Count}; " + cluster.DescribeState());
        var watched = Stopwatch.StartNew();
        await Retry.Until(() => watched.Elapsed > TimeSpan.FromSeconds(4), Timeouts.Call, "four seconds of dialing have passed");
        var fromCapped = await capped.PublishAdvisoryAsync("Credential phishing against the citizens' portal, seen by the capped node");
        var fromOther = await cluster[3].PublishAdvisoryAsync("Ransomware note found on a school network");
        await cluster.WaitForStableAsync();
        await sampling.CancelAsync();
        await sampler.Within(Timeouts.Call, "the link sampler");

        // Assert: never more than one link, as the node and its Admin API report it.
        output.WriteLine($"node 0 held at most {mostLinks} link(s); {Refusals(cluster, capped.MeshEndpoint).Count} dials were refused");
        Assert.Equal(1, mostLinks);
        var peers = await ListPeersAsync(capped);
        Assert.Single(peers, p => p.State == "connected");

        // The refused dialers got the documented UNAVAILABLE refusal, and nobody scored or banned anyone for it.
        Assert.All(Refusals(cluster, capped.MeshEndpoint), e => Assert.NotEqual(0, e.Node));
        foreach (var dialer in cluster.Nodes.Skip(1))
        {
            Assert.Equal(0, dialer.Scores.ScoreOf(capped.Id));
            Assert.False(dialer.Scores.IsBanned(capped.Id));
            var seen = Assert.Single(await ListPeersAsync(dialer), p => p.NodeId == capped.Id.Text);
            Assert.NotEqual("banned", seen.State);
            Assert.Equal(0, capped.Scores.ScoreOf(dialer.Id));
        }
        Assert.DoesNotContain(cluster.Logs.Entries, e => e.EventName is "PeerPenalised" or "PeerBanned");

        // The cap was logged as a limit hit, by name.
        Assert.Contains(cluster.Logs.Events("LimitHit", node: 0), e => e.Message.Contains(NodeLimits.PeersLimit, StringComparison.Ordinal));
        Assert.DoesNotContain(cluster.Logs.Entries, e => e.EventName == "LimitHit" && e.Node != 0);

        // Replication works through the one link it has: both records are everywhere.
        Assert.All(cluster.Nodes, n => Assert.True(n.Holds(fromCapped.Id) && n.Holds(fromOther.Id), $"{n} holds both records"));
    }

    [Fact]
    public async Task RatePerAuthor_TwelveLiveRecordsToAReceiverAllowingFive_DeferredWithoutGapThenAllArriveAndVerify()
    {
        // Arrange: node 1 accepts 5 records per author per minute; the author (node 0) and node 2 have the
        // harness's lifted limit. Real clock: the over-rate records come back at 5 a minute (one every 12 s),
        // so the two left over after the first burst arrive within about 25 s.
        const int Limit = 5;
        const int Published = 12;
        await using var cluster = await MeshCluster.StartAsync(3, output, new MeshClusterOptions
        {
            Configure = (i, o) => i == 1 ? o with { MaxRecordsPerAuthorPerMinute = Limit } : o,
        });
        cluster.Expect("LimitHit", node: 1);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var (author, receiver, other) = (cluster[0], cluster[1], cluster[2]);

        // Act: a burst of live records.
        var clock = Stopwatch.StartNew();
        var records = new List<ValidatedRecord>();
        for (var i = 0; i < Published; i++)
        {
            records.Add(await author.PublishAdvisoryAsync($"Phishing wave, report {i + 1} of {Published}"));
        }
        await Retry.Until(() => records.All(r => other.Holds(r.Id)), Timeouts.Converge, "node 2 (no limit) holds all twelve");
        var atFirst = HeldPrefix(receiver, records);
        var firstSeen = clock.Elapsed;

        // Assert: at first the receiver holds at most the limit by creation time plus one minute's release
        // budget (N + N, docs/operations.md "How deferred records come back"), fewer than all; the rest is
        // deferred, not rejected, and the hit is logged.
        output.WriteLine($"after {firstSeen.TotalSeconds:0.0} s the receiver holds {atFirst} of {Published}");
        Assert.True(atFirst <= 2 * Limit + Released(firstSeen, Limit), $"the receiver holds {atFirst} records after {firstSeen.TotalSeconds:0.0} s");
        Assert.True(atFirst < Published, $"the receiver already holds all {Published} records: nothing was deferred");
        await Retry.Until(() => cluster.Logs.Events("LimitHit", node: 1).Any(e => e.Message.Contains(NodeLimits.RateLimit, StringComparison.Ordinal)),
            Timeouts.Call, "node 1 logs a LimitHit for records_per_author_minute");

        // While it catches up, the author's chain on the receiver is always a prefix (no gap) within the rate.
        var samples = 0;
        await Retry.Until(() =>
        {
            var held = HeldPrefix(receiver, records);
            Assert.True(held <= 2 * Limit + Released(clock.Elapsed, Limit), $"the receiver holds {held} records after {clock.Elapsed.TotalSeconds:0.0} s");
            samples++;
            return held == Published;
        }, TimeSpan.FromSeconds(60), () => $"node 1 holds all {Published} records; it holds {HeldPrefix(receiver, records)} after {clock.Elapsed.TotalSeconds:0.0} s", TimeSpan.FromMilliseconds(100));
        output.WriteLine($"the receiver held all {Published} after {clock.Elapsed.TotalSeconds:0.0} s ({samples} samples, each a gap-free prefix)");

        // Deferring is not blaming: no peer was penalised, and every signature, chain link and payload verifies.
        Assert.Equal(0, receiver.Scores.ScoreOf(author.Id));
        Assert.Equal(0, receiver.Scores.ScoreOf(other.Id));
        Assert.DoesNotContain(cluster.Logs.Entries, e => e.EventName is "PeerPenalised" or "RecordRejected");
        var verify = await receiver.CliAsync("verify", "--json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("\"ok\": true", verify.Stdout, StringComparison.Ordinal);
        await cluster.WaitForStableAsync();
    }

    /// <summary>Failed dials of <paramref name="endpoint"/> whose reason is the documented --max-peers refusal.</summary>
    private static List<LogEntry> Refusals(MeshCluster cluster, string endpoint) =>
        cluster.Logs.Events("DialFailed").Where(e => e.Message.Contains(endpoint, StringComparison.Ordinal) && e.Message.Contains(Refusal, StringComparison.Ordinal)).ToList();

    private static async Task<IReadOnlyList<PeerInfo>> ListPeersAsync(ClusterNode node)
    {
        var (channel, client) = node.AdminClient();
        using (channel)
        {
            var reply = await client.ListPeersAsync(new ListPeersRequest(), deadline: DateTime.UtcNow + Timeouts.Call)
                .ResponseAsync.Within(Timeouts.Call, $"Admin.ListPeers on {node}");
            return reply.Peers;
        }
    }

    /// <summary>
    /// How many of the author's <paramref name="records"/> (one chain, in order) the node stores;
    /// fails unless they are exactly the first ones of the chain, so a deferral never opened a gap.
    /// </summary>
    private static int HeldPrefix(ClusterNode node, IReadOnlyList<ValidatedRecord> records)
    {
        var first = records[0];
        var stored = node.Node.Store.Range(first.Header.Author.Span, first.Channel, first.Seq, records[^1].Seq, records.Count + 1, long.MaxValue);
        for (var i = 0; i < stored.Count; i++)
        {
            Assert.True(stored[i].Id == records[i].Id, $"{node} stores seq {stored[i].Header.Seq} as position {i} of the author's chain: a gap or a foreign record");
        }
        return stored.Count;
    }

    /// <summary>Over-rate records the receiver's token bucket may have released after <paramref name="elapsed"/> beyond its initial budget, plus one for timing slack.</summary>
    private static int Released(TimeSpan elapsed, int perMinute) => (int)(elapsed.TotalMinutes * perMinute) + 1;
}
