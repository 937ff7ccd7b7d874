using I4C.Cli;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Hosting;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class RevocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Member_RevokedByTheRevocationThreshold_IsCutOffEverywhereWhileItsOldRecordsStay()
    {
        // Arrange: four cities and a fifth founder whose keys the test holds (it relays records
        // as a member would); k = 2, revocation threshold 2. Utrecht (node 3) publishes twice.
        await using var cluster = await MeshCluster.StartAsync(4, output);
        cluster.Expect("RecordRejected", node: 2);
        cluster.Expect("PeerPenalised", node: 2);
        cluster.Expect("PublishRefused", node: 3);
        using var relay = HostileMember.Create(cluster.NewDirectory("relay"), new NodeProfile("Grad Zagreb", "HR", MemberCategory.EuCity, Participation.Active));
        await cluster.FoundAsync(founders: [0, 1, 2, 3], extraCards: [relay.CardRecord], extraSigners: [relay.Identity]);
        var meshId = cluster.MeshId;
        Assert.Equal(2u, CharterRules.Inspect(cluster.Charter!, cluster[0].Node.Validator).Charter.RevocationThreshold);
        var x = cluster[3];
        var others = cluster.Nodes.Take(3).ToList();
        var old1 = await x.PublishAdvisoryAsync("Utrecht: credential phishing against council staff");
        var old2 = await x.PublishAdvisoryAsync("Utrecht: indicators updated");
        await cluster.WaitForStableAsync();
        Assert.Contains(others, n => n.Sync.IsLinked(x.Id));

        // Act: Bonn votes with `i4c revoke`, Lyon through its MeshState.
        var firstVote = await cluster[0].CliJsonAsync("revoke", x.Id.Text, "--reason", "key material found on a paste site");
        Assert.Equal(1u, firstVote["revocations"]!.GetValue<uint>());
        Assert.Equal(2u, firstVote["threshold"]!.GetValue<uint>());
        Assert.False(firstVote["revoked"]!.GetValue<bool>());
        await Retry.Until(() => others.All(n => n.StandingOn(x.Id)?.Reason.Contains("1 of 2 revocations", StringComparison.Ordinal) == true),
            Timeouts.Converge, "every other node counts one of two revocations against Utrecht");
        Assert.All(others, n => Assert.True(n.Mesh.Roster.IsMember(x.Id), $"{n} dropped Utrecht after one revocation"));
        var secondVote = await cluster[1].Mesh.RevokeAsync(x.Id, "key material found on a paste site", CancellationToken.None).AsTask().Within(Timeouts.Call, "Lyon revoking Utrecht");

        // Assert: revoked on every other node, and no link with it survives.
        await MembershipSteps.UntilStandingAsync(others, x.Id, StandingKind.Revoked, "Utrecht");
        await Retry.Until(() => others.All(n => !n.Sync.IsLinked(x.Id)), Timeouts.Converge,
            () => "no other node keeps a link with Utrecht; " + cluster.DescribeState());
        Assert.All(others, n => Assert.StartsWith("revoked by 2 members", n.StandingOn(x.Id)!.Reason, StringComparison.Ordinal));
        var listed = await cluster[2].MemberEntryAsync(x.Id);
        Assert.Equal("revoked", listed["status"]!.GetValue<string>());
        var peers = await cluster[0].CliJsonAsync("peers");
        Assert.DoesNotContain(peers["peers"]!.AsArray(), p => p!["nodeId"]!.GetValue<string>() == x.Id.Text && p["state"]!.GetValue<string>() == "connected");

        // What it published before stays stored, verifies, and is still acceptable by the roster.
        foreach (var node in others)
        {
            Assert.True(node.Holds(old1.Id) && node.Holds(old2.Id), $"{node} lost Utrecht's earlier records");
            Assert.Empty(node.Node.Verify().Failures);
            Assert.True(node.Mesh.Roster.MayAuthor(x.Id, old2.Header.Channel.Span, old2.Seq), $"{node} no longer accepts Utrecht's record at seq {old2.Seq}");
        }

        // A record Utrecht's key signs afterwards, relayed by a member, is rejected as NOT_MEMBER.
        var late = MembershipSteps.NextAdvisoryOf(x, "Utrecht: ignore the earlier indicators");
        var lateId = RecordId.OfHeader(late.Header.Span);
        await using (var link = await relay.SendOverRawLinkAsync(cluster[2], meshId, late))
        {
            await Retry.Until(() => cluster.Rejected(2, lateId, "NOT_MEMBER"), Timeouts.Call, "Torino rejects Utrecht's new record as NOT_MEMBER");
        }

        // Once Utrecht's node holds both revocations, it refuses to publish at all.
        var revocations = cluster[0].Node.Store.OfKind(RecordKind.Revocation).Select(r => r.ToWire()).ToArray();
        Assert.Equal(2, revocations.Length);
        await using (var link = await relay.SendOverRawLinkAsync(x, meshId, revocations))
        {
            await Retry.Until(() => x.StandingOn(x.Id)?.Kind == StandingKind.Revoked, Timeouts.Call, "Utrecht computes itself as revoked");
        }
        var refused = await Assert.ThrowsAsync<PublishRefusedException>(() => x.PublishAdvisoryAsync("Utrecht: published after its revocation"));
        Assert.Contains("not a current member", refused.Message, StringComparison.Ordinal);

        // Nothing new from Utrecht anywhere, and no link with it came back while it kept running.
        Assert.All(others, n => Assert.False(n.Sync.IsLinked(x.Id), $"{n} linked with Utrecht again"));
        var channel = old2.Header.Channel;
        await cluster.StopNodeAsync(x.Index);
        await cluster.WaitForStableAsync();
        Assert.All(others, n =>
        {
            Assert.False(n.Holds(lateId), $"{n} holds Utrecht's post-revocation record");
            Assert.DoesNotContain(n.Node.Store.ReadAll(), r => r.Author.Equals(x.Id) && r.Header.Channel == channel && r.Header.Seq > old2.Seq);
        });
    }

    [Fact]
    public async Task RevokedMember_RecordThatReachedOnlyPartOfTheMeshBeforeTheVote_NeitherSplitsNorPenalisesHonestNodes()
    {
        // Arrange: four cities; Torino and Utrecht are cut off from Bonn and Lyon.
        await using var cluster = await MeshCluster.StartAsync(4, output);
        await cluster.FoundAsync(4);
        await cluster.WaitForStableAsync();
        var x = cluster[3];
        var honest = cluster.Nodes.Take(3).ToList();
        cluster.Partition([2, 3], [0, 1]);
        await Retry.Until(() => !cluster[0].Sync.IsLinked(x.Id) && !cluster[1].Sync.IsLinked(x.Id) && cluster[2].Sync.IsLinked(x.Id),
            Timeouts.Converge, () => "only Torino keeps a link with Utrecht; " + cluster.DescribeState());
        // Utrecht's last record reaches Torino only; then Utrecht goes offline.
        var late = await x.PublishAdvisoryAsync("Utrecht: seen by Torino only");
        await Retry.Until(() => cluster[2].Holds(late.Id), Timeouts.Converge, "Torino holds Utrecht's last record");
        await cluster.StopNodeAsync(x.Index);

        // Act: Bonn and Lyon revoke Utrecht, knowing its chain up to the record before; the partition heals.
        await cluster[0].Mesh.RevokeAsync(x.Id, "key compromised", CancellationToken.None).AsTask().Within(Timeouts.Call, "Bonn revoking Utrecht");
        await cluster[1].Mesh.RevokeAsync(x.Id, "key compromised", CancellationToken.None).AsTask().Within(Timeouts.Call, "Lyon revoking Utrecht");
        cluster.Heal();
        await MembershipSteps.UntilStandingAsync(honest, x.Id, StandingKind.Revoked, "Utrecht");
        await Retry.Until(() => honest.All(n => n.Sync.Links.Count == 2), Timeouts.Converge, cluster.DescribeState);

        // Until Torino learns of the revocation it may still pass the record on; Bonn and Lyon refuse it then.
        cluster.Expect(e => e.EventName == "RecordRejected" && e.Message.Contains(late.Id.ToString(), StringComparison.Ordinal) && e.Message.Contains("NOT_MEMBER", StringComparison.Ordinal));
        foreach (var node in honest)
        {
            var settle = await node.CliAsync("sync", "--wait", "--timeout", "10s");
            Assert.True(settle.ExitCode == 0, $"{node}: {settle}");
        }
        var rejectionsSettled = cluster.Logs.Events("RecordRejected").Count;

        // Assert: further anti-entropy rounds find the three in sync without offering the record again,
        // no honest node is penalised, and the revokers never accept the record they did not see.
        foreach (var node in honest)
        {
            var sync = await node.CliAsync("sync", "--wait", "--timeout", "10s");
            Assert.True(sync.ExitCode == 0, $"{node}: {sync}");
        }
        Assert.Equal(rejectionsSettled, cluster.Logs.Events("RecordRejected").Count);
        foreach (var node in honest)
        {
            Assert.All(honest.Where(p => p != node), p => Assert.Equal(0, node.Scores.ScoreOf(p.Id)));
        }
        Assert.False(cluster[0].Holds(late.Id));
        Assert.False(cluster[1].Holds(late.Id));
        Assert.Empty(cluster.UnexpectedLogs());
    }

    [Fact]
    public async Task Member_Leaving_IsRevokedEverywhereAndItsKeyIsNotReadmittedWhenEndorsedAgain()
    {
        // Arrange: three cities and two founders whose keys the test holds (k = 2).
        await using var cluster = await MeshCluster.StartAsync(3, output);
        cluster.Expect("PublishRefused", node: 2);
        using var zagreb = HostileMember.Create(cluster.NewDirectory("zagreb"), new NodeProfile("Grad Zagreb", "HR", MemberCategory.EuCity, Participation.Active));
        using var riga = HostileMember.Create(cluster.NewDirectory("riga"), new NodeProfile("Rīgas pilsēta", "LV", MemberCategory.EuCity, Participation.Active));
        await cluster.FoundAsync(founders: [0, 1, 2], extraCards: [zagreb.CardRecord, riga.CardRecord], extraSigners: [zagreb.Identity, riga.Identity]);
        var meshId = cluster.MeshId;
        var leaver = cluster[2];
        await cluster.WaitForStableAsync();

        // Act 1: Torino leaves with `i4c leave`.
        var left = await leaver.CliJsonAsync("leave", "--reason", "Torino moves to a national CERT");

        // Assert 1: revoked on every node, including its own, and cut off.
        Assert.True(left["revoked"]!.GetValue<bool>());
        Assert.Equal(leaver.Id.Text, left["subject"]!.GetValue<string>());
        await MembershipSteps.UntilStandingAsync(cluster.Nodes, leaver.Id, StandingKind.Revoked, "Torino");
        Assert.All(cluster.Nodes, n => Assert.StartsWith("left or revoked its own key: Torino moves to a national CERT", n.StandingOn(leaver.Id)!.Reason, StringComparison.Ordinal));
        await Retry.Until(() => !cluster[0].Sync.IsLinked(leaver.Id) && !cluster[1].Sync.IsLinked(leaver.Id), Timeouts.Converge,
            () => "Bonn and Lyon drop their links with Torino; " + cluster.DescribeState());
        var refused = await Assert.ThrowsAsync<PublishRefusedException>(() => leaver.PublishAdvisoryAsync("Torino: after leaving"));
        Assert.Contains("not a current member", refused.Message, StringComparison.Ordinal);

        // Act 2: the same key applies again; a city refuses to endorse it, two members endorse it anyway.
        var requestFile = Path.Combine(cluster.Root, "torino-again.json");
        await leaver.CliJsonAsync("join-request", "--charter", cluster.WriteCharterFile("charter.json"), "--out", requestFile);
        var endorse = await cluster[0].CliAsync("endorse", requestFile);
        var request = JoinRequest.Parser.ParseFrom(Convert.FromBase64String(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(requestFile))!["request"]!.GetValue<string>()));
        var byZagreb = zagreb.Endorsement(request, meshId);
        var byRiga = riga.Endorsement(request, meshId);
        await using (var a = await zagreb.SendOverRawLinkAsync(cluster[0], meshId, zagreb.CardRecord, byZagreb))
        await using (var b = await riga.SendOverRawLinkAsync(cluster[1], meshId, riga.CardRecord, byRiga))
        {
            var ids = new[] { RecordId.OfHeader(byZagreb.Header.Span), RecordId.OfHeader(byRiga.Header.Span) };
            await Retry.Until(() => ids.All(id => cluster[0].Holds(id) && cluster[1].Holds(id)), Timeouts.Converge, "Bonn and Lyon hold both endorsements");
        }

        // Assert 2: `i4c endorse` refuses, and with k endorsements by members held the key stays revoked.
        Assert.Equal(ExitCodes.Refused, endorse.ExitCode);
        Assert.Contains("never re-admitted", endorse.Stderr, StringComparison.Ordinal);
        foreach (var node in cluster.Nodes.Take(2))
        {
            var standing = node.StandingOn(leaver.Id)!;
            Assert.Equal(StandingKind.Revoked, standing.Kind);
            Assert.False(node.Mesh.Roster.IsMember(leaver.Id));
            Assert.False(node.Sync.IsLinked(leaver.Id));
        }
        Assert.Equal("revoked", (await cluster[1].MemberEntryAsync(leaver.Id))["status"]!.GetValue<string>());
        // Relaying the leaver's own revocation record to a node that already holds it is no offence.
        Assert.Equal(0, cluster[0].Scores.ScoreOf(cluster[1].Id));
        Assert.Equal(0, cluster[1].Scores.ScoreOf(cluster[0].Id));
    }
}
