using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// The receiving side's TLP checks (docs/tlp.md, "Receiving"), each provoked by a member that
/// speaks over a raw link: NOT_IN_AUDIENCE, RED_RELAYED, LISTENER_PUBLISHED, LABEL_LOWERED.
/// Each record must be refused, logged with its reason and cost the sending peer its penalty.
/// </summary>
[Trait("Category", "Peer")]
public sealed class TlpRejectionTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1, C = 2, D = 3;

    [Fact]
    public async Task HostileMember_SendingRecordsTheTlpRulesForbid_EachRefusedLoggedWithItsReasonAndPenalised()
    {
        // Arrange: four real cities, an active founder (H) and a listener founder (HL) whose keys the test holds.
        await using var cluster = await MeshCluster.StartAsync(4, output);
        foreach (var node in new[] { B, C, D })
        {
            cluster.Expect("RecordRejected", node);
            cluster.Expect("PeerPenalised", node);
        }
        using var member = HostileMember.Create(cluster.NewDirectory("member-h"), new NodeProfile("Città di Nessuno", "MT", MemberCategory.EuCity, Participation.Active));
        using var listener = HostileMember.Create(cluster.NewDirectory("listener-hl"), new NodeProfile("Ville d'Écoute", "LU", MemberCategory.EuCity, Participation.Listener));
        await cluster.FoundAsync(extraCards: [member.CardRecord, listener.CardRecord], extraSigners: [member.Identity, listener.Identity]);
        await cluster.WaitForStableAsync();
        var meshId = cluster.MeshId;
        // A and B may not talk: whatever B holds of A's RED record can only have come from H.
        cluster.Partition([A], [B]);
        await Retry.Until(() => !cluster[A].Sync.IsLinked(cluster[B].Id) && !cluster[B].Sync.IsLinked(cluster[A].Id), Timeouts.Converge, () => "A and B are unlinked; " + cluster.DescribeState());
        await using var toA = await OpenMemberLinkAsync(cluster, member, A);
        await using var toB = await OpenMemberLinkAsync(cluster, member, B);
        await using var toC = await OpenMemberLinkAsync(cluster, member, C);
        await using var toD = await OpenMemberLinkAsync(cluster, member, D);
        await using var listenerToB = await OpenMemberLinkAsync(cluster, listener, B);

        // Act + Assert 1, RED_RELAYED: H is in the audience of a RED record from A, gets it from A, passes it to B.
        var red = await cluster[A].PublishAdvisoryAsync("Bonn to Lyon and H: credential dump of the tax office", "TLP:RED, only for the named recipients.", Tlp.Red, [cluster[B].Id, member.Id]);
        await Retry.Until(() => toA.RecordIdsReceived().Contains(red.Id), Timeouts.Call, "A sends its RED record to H, a recipient");
        var captured = toA.RecordsReceived().First(r => RecordId.OfHeader(r.Header.Span) == red.Id);
        await toB.SendRecordsAsync(captured);
        await ExpectRefusedAsync(cluster, B, red.Id, member.Id, "RED_RELAYED", penalty: 50);

        // 2, NOT_IN_AUDIENCE: H writes an AMBER record for C alone (encrypted to C, as an honest node would) and sends it to D.
        var forC = TlpScenario.SignAdvisory(member.Identity, meshId, Tlp.Amber, "For Torino only: the VPN appliance is backdoored", [cluster[C].Reader()], seq: 1, prev: default);
        var forCId = RecordId.OfHeader(forC.Header.Span);
        await toD.SendRecordsAsync(forC);
        await ExpectRefusedAsync(cluster, D, forCId, member.Id, "NOT_IN_AUDIENCE", penalty: 50);

        // 3, LABEL_LOWERED: H derives a GREEN record from A's AMBER one and sends it to C, which holds the source.
        var source = await cluster[A].PublishAdvisoryAsync("Bonn: phishing kit aimed at city payroll", "TLP:AMBER source.", Tlp.Amber, []);
        await Retry.Until(() => cluster[C].Holds(source.Id), Timeouts.Converge, "C holds A's AMBER source");
        await toC.SendRecordsAsync(member.CardRecord);
        await Retry.Until(() => cluster[C].Holds(member.CardId), Timeouts.Call, "C stores H's card, the start of H's mesh chain");
        Reference[] derivedFrom = [new Reference { Type = ReferenceType.DerivedFrom, RecordId = Google.Protobuf.ByteString.CopyFrom(source.Id.Span) }];
        var lowered = TlpScenario.SignAdvisory(member.Identity, meshId, Tlp.Green, "Payroll phishing kit (relabelled GREEN)", [], seq: 2, prev: member.CardId, derivedFrom);
        var loweredId = RecordId.OfHeader(lowered.Header.Span);
        await toC.SendRecordsAsync(lowered);
        await ExpectRefusedAsync(cluster, C, loweredId, member.Id, "LABEL_LOWERED", penalty: 10);
        // The same derivation keeping the source's label is accepted: the label, nothing else, was the fault.
        var kept = TlpScenario.SignAdvisory(member.Identity, meshId, Tlp.Amber, "Payroll phishing kit (kept AMBER)", [], seq: 2, prev: member.CardId, derivedFrom);
        await toC.SendRecordsAsync(kept);
        await Retry.Until(() => cluster[C].Holds(RecordId.OfHeader(kept.Header.Span)), Timeouts.Call, "C stores the derived record that keeps the AMBER label");

        // 4, LISTENER_PUBLISHED: the listener founder signs an advisory and sends it to B.
        await listenerToB.SendRecordsAsync(listener.CardRecord);
        await Retry.Until(() => cluster[B].Holds(listener.CardId), Timeouts.Call, "B stores the listener's card");
        var published = TlpScenario.SignAdvisory(listener.Identity, meshId, Tlp.Green, "Listener's own advisory", [], seq: 2, prev: listener.CardId);
        var publishedId = RecordId.OfHeader(published.Header.Span);
        await listenerToB.SendRecordsAsync(published);
        await ExpectRefusedAsync(cluster, B, publishedId, listener.Id, "LISTENER_PUBLISHED", penalty: 25);

        // Nothing refused reached any node by another way either (after a round of anti-entropy on every
        // link between real nodes; H answers none), and no link was banned.
        var settled = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.Where(l => cluster.IndexOf(l.Peer) >= 0).All(l => l.LastSyncUnixMs > settled)),
            Timeouts.Converge, "every link between real nodes completed an anti-entropy round");
        foreach (var node in cluster.Nodes)
        {
            Assert.False(node.Holds(forCId), $"{node} holds H's record for C's eyes only");
            Assert.False(node.Holds(loweredId), $"{node} holds the relabelled record");
            Assert.False(node.Holds(publishedId), $"{node} holds the listener's advisory");
        }
        Assert.False(cluster[B].Holds(red.Id), "B holds the RED record although it only ever came from H");
        Assert.False(cluster.Logs.Has("PeerBanned"));
        foreach (var entry in cluster.Logs.Entries.Where(e => e.EventName is "RecordRejected" or "PeerPenalised"))
        {
            output.WriteLine(entry.ToString());
        }
    }

    private static async Task<RawLink> OpenMemberLinkAsync(MeshCluster cluster, HostileMember who, int target)
    {
        var link = await RawLink.OpenAsync(who, cluster[target].MeshEndpoint);
        await link.SendHelloAsync(cluster.MeshId);
        await Retry.Until(() => cluster[target].Sync.IsLinked(who.Id), Timeouts.Call, $"{cluster[target]} registers the link of {who.Id.Text[..12]}");
        return link;
    }

    /// <summary>The node logged the refusal of that record with that reason, penalised the peer for it, and does not hold the record.</summary>
    private static async Task ExpectRefusedAsync(MeshCluster cluster, int node, RecordId id, NodeId peer, string reason, int penalty)
    {
        var target = cluster[node];
        await Retry.Until(
            () => cluster.Logs.Events("RecordRejected", node).Any(e => e.Message.Contains(id.ToString(), StringComparison.Ordinal) && e.Message.Contains(reason + ":", StringComparison.Ordinal)),
            Timeouts.Call, () => $"{target} logs RecordRejected {reason} for {id}; its rejections so far: " +
                string.Join(" | ", cluster.Logs.Events("RecordRejected", node).Select(e => e.Message)));
        await Retry.Until(
            () => cluster.Logs.Events("PeerPenalised", node).Any(e => e.Message.Contains(peer.Text, StringComparison.Ordinal) && e.Message.Contains(reason, StringComparison.Ordinal)),
            Timeouts.Call, $"{target} logs PeerPenalised for {reason}");
        Assert.False(target.Holds(id), $"{target} stored the record it refused ({reason})");
        var score = target.Scores.ScoreOf(peer);
        Assert.True(score < 0, $"{target} scores the peer {score} after {reason}");
        Assert.Equal(-penalty, score);
    }
}
