using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>Retraction and expiry delete the content on every node that holds it (docs/tlp.md, "Retraction and expiry").</summary>
[Trait("Category", "Peer")]
public sealed class TlpPurgeTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1, C = 2, D = 3;

    [Fact]
    public async Task GroupRecord_RetractedByItsAuthor_PurgedOnEveryNodeThatHoldsIt()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(4, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var canary = Canary.New();
        var record = await cluster[A].PublishAdvisoryAsync($"Retract me {canary}", $"Indicator {canary} turned out to be wrong.", Tlp.Amber, [cluster[B].Id, cluster[C].Id]);
        int[] holders = [A, B, C];
        await Retry.Until(() => holders.All(i => cluster[i].Node.Store.Get(record.Id)?.Payload is not null), Timeouts.Converge, () => "A, B and C hold the payload; " + cluster.DescribeState());

        // Act
        var retract = await cluster[A].CliAsync("retract", record.Id.ToString(), "--reason", "Sent too early: the indicators were wrong.");
        Assert.True(retract.ExitCode == 0, retract.ToString());
        await Retry.Until(() => holders.All(i => cluster[i].Node.Store.Get(record.Id)?.PurgeReason?.StartsWith("retracted", StringComparison.Ordinal) == true),
            Timeouts.Converge, () => "A, B and C mark the record retracted: " + string.Join("; ", holders.Select(i => $"{cluster[i]}: {cluster[i].Node.Store.Get(record.Id)?.PurgeReason ?? "(not purged)"}")));

        // Assert
        foreach (var i in holders)
        {
            var node = cluster[i];
            Assert.Null(node.Node.Store.Get(record.Id)!.Payload);
            Assert.Null(node.Node.ReadPayload(node.Node.Store.Get(record.Id)!));
            var (reply, status, detail) = await node.TryShowAsync(record.Id);
            Assert.True(reply is not null, $"{node}: Show failed: {status} {detail}");
            Assert.True(reply.Summary.Purged, $"{node}: Show does not say purged");
            Assert.StartsWith("retracted", reply.PurgeReason, StringComparison.Ordinal);
            Assert.Equal(ShowReply.ContentOneofCase.None, reply.ContentCase);
            Assert.DoesNotContain(canary, reply.ToString(), StringComparison.Ordinal);
            var shown = await node.CliAsync("show", record.Id.ToString());
            Assert.True(shown.ExitCode == 0 && shown.Stdout.Contains("purged", StringComparison.Ordinal), $"{node}: `i4c show`: {shown}");
            Assert.Empty(node.Node.Verify().Failures);
        }
        // The recipients can read why, in the retraction record itself (encrypted to the same audience).
        var retraction = cluster[A].Node.Store.OfKind(RecordKind.Retraction).Single();
        foreach (var i in new[] { B, C })
        {
            await Retry.Until(() => cluster[i].Holds(retraction.Id), Timeouts.Converge, $"{cluster[i]} holds the retraction");
            var (reply, _, _) = await cluster[i].TryShowAsync(retraction.Id);
            Assert.Equal("Sent too early: the indicators were wrong.", reply?.Retraction?.Reason);
        }
        var (_, outsider, _) = await cluster[D].TryShowAsync(record.Id);
        Assert.Equal(StatusCode.NotFound, outsider);
        Assert.False(cluster[D].Holds(retraction.Id));
    }

    [Fact]
    public async Task RecordsWithExpiry_AfterExpiryAndSweep_PurgedEverywhereAndGoneFromTheDatabaseFiles()
    {
        // Arrange: an all-member record (stored in plain form everywhere) and a group record, both expiring in a few seconds.
        await using var cluster = await MeshCluster.StartAsync(4, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var canary = Canary.New();
        var expires = DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds();
        var open = await cluster[A].PublishAdvisoryAsync($"Expiring {canary}", $"Short-lived indicator {canary} for all members.", Tlp.Green, [], expires);
        var group = await cluster[A].PublishAdvisoryAsync($"Expiring group {canary}", $"Short-lived indicator {canary} for B and C.", Tlp.Amber, [cluster[B].Id, cluster[C].Id], expires);
        var holders = new Dictionary<RecordId, int[]> { [open.Id] = [A, B, C, D], [group.Id] = [A, B, C] };
        await Retry.Until(() => holders.All(h => h.Value.All(i => cluster[i].Node.Store.Get(h.Key)?.Payload is not null)), Timeouts.Converge,
            () => "every holder holds both payloads; " + cluster.DescribeState());
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < expires, "the records spread only after they expired; the test proves nothing");
        var (before, _, _) = await cluster[D].TryShowAsync(open.Id);
        Assert.Equal($"Expiring {canary}", before?.AdvisoryTitle());

        // Act: wait out the expiry, then run each node's sweep (the harness runs it every 5 minutes).
        await Retry.Until(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > expires, TimeSpan.FromSeconds(15), "the expiry passes");
        var purged = cluster.Nodes.ToDictionary(n => n.Index, n => n.Node.PurgeExpired());

        // Assert
        foreach (var (id, nodes) in holders)
        {
            foreach (var i in nodes)
            {
                var node = cluster[i];
                Assert.Contains(id, purged[i]);
                var stored = node.Node.Store.Get(id)!;
                Assert.Null(stored.Payload);
                Assert.Equal("expired", stored.PurgeReason);
                var (reply, status, detail) = await node.TryShowAsync(id);
                Assert.True(reply is not null, $"{node}: Show failed: {status} {detail}");
                Assert.True(reply.Summary.Purged);
                Assert.Equal("expired", reply.PurgeReason);
                Assert.Equal(ShowReply.ContentOneofCase.None, reply.ContentCase);
            }
        }
        Assert.False(cluster[D].Holds(group.Id));
        // A late copy of an expired payload is purged on arrival: the records travel header-only from now on.
        await cluster[D].Sync.WaitInSyncAsync(TimeSpan.FromSeconds(10), CancellationToken.None).Within(Timeouts.Converge, "D syncing");
        Assert.Null(cluster[D].Node.Store.Get(open.Id)!.Payload);

        // The deleted plaintext is overwritten in the database files (secure_delete), once the nodes stop cleanly.
        foreach (var node in cluster.Nodes)
        {
            await cluster.StopNodeAsync(node.Index);
        }
        var hits = cluster.Nodes.SelectMany(n => Canary.InFiles(n.DataDirectory, canary).Select(h => $"{n}: {h}")).ToList();
        Assert.True(hits.Count == 0, "the expired canary is still in the files:\n" + string.Join("\n", hits));
    }
}
