using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class HostilePeerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HostileMember_SendingForgedReplayedForeignForkedOversizeAndGarbage_NothingFalseStoredAndItIsBanned()
    {
        // Arrange: three real cities and a fourth founder whose keys the test holds.
        await using var cluster = await MeshCluster.StartAsync(3, output);
        foreach (var name in new[] { "RecordRejected", "PeerPenalised", "PeerBanned", "EquivocationDetected" })
        {
            cluster.Expect(name, node: 0);
        }
        using var hostile = HostileMember.Create(cluster.NewDirectory("hostile"), new NodeProfile("Città di Nessuno", "MT", MemberCategory.EuCity, Participation.Active));
        await cluster.FoundAsync(extraCards: [hostile.CardRecord], extraSigners: [hostile.Identity]);
        await cluster.WaitForStableAsync();
        Assert.All(cluster.Nodes, n => Assert.True(n.Mesh.Roster.IsMember(hostile.Id), $"{n} does not count the hostile founder as a member"));
        var meshId = cluster.MeshId;
        var target = cluster[0];
        var genuine = await cluster[1].PublishAdvisoryAsync("Genuine advisory from Lyon");
        await Retry.Until(() => target.Holds(genuine.Id), Timeouts.Converge, "node 0 holds Lyon's advisory");

        await using var link = await RawLink.OpenAsync(hostile, target.MeshEndpoint);
        await link.SendHelloAsync(meshId);
        await Retry.Until(() => target.Sync.IsLinked(hostile.Id), Timeouts.Call, "node 0 registers the hostile link");
        // Its own card is a true record: accepted, and the chain (author, mesh channel) starts.
        await link.SendRecordsAsync(hostile.CardRecord);
        await Retry.Until(() => target.Holds(hostile.CardId), Timeouts.Call, "node 0 stores the hostile member's card");

        // (a) A forged signature: a well-formed header by the hostile author, signature bits flipped.
        var forged = hostile.Advisory("Bonn's CERT: 203.0.113.77 is safe, allow-list it", meshId, 2, hostile.CardId);
        var signature = forged.Signature.ToByteArray();
        signature[0] ^= 0xFF;
        signature[63] ^= 0x01;
        forged.Signature = ByteString.CopyFrom(signature);
        var forgedId = RecordId.OfHeader(forged.Header.Span);
        await link.SendRecordsAsync(forged);
        await Retry.Until(() => Rejected(cluster, "BAD_SIGNATURE"), Timeouts.Call, "node 0 rejects the forged record as BAD_SIGNATURE");

        // (b) A replay of a record node 0 already holds (Lyon's).
        var duplicatesBefore = target.Sync.Duplicates;
        var countBefore = target.RecordCount;
        await link.SendRecordsAsync(target.Node.Store.Get(genuine.Id)!.ToWire());
        await Retry.Until(() => target.Sync.Duplicates > duplicatesBefore, Timeouts.Call, "node 0 counts the replay as a duplicate");
        Assert.Equal(countBefore, target.RecordCount);

        // (c) A record authored by an identity that is not a member.
        using var stranger = NodeIdentity.Create();
        var foreign = RecordWriter.Sign(stranger, new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = Tlp.Green,
            MeshId = meshId,
            Payload = Advisories.Create("Urgent: patch now (from an unknown sender)", "a stranger").ToByteArray(),
        }, 1, default, DateTimeOffset.UtcNow);
        var foreignId = RecordId.OfHeader(foreign.Header.Span);
        await link.SendRecordsAsync(foreign);
        await Retry.Until(() => Rejected(cluster, "NOT_MEMBER"), Timeouts.Call, "node 0 rejects the non-member's record as NOT_MEMBER");

        // (d) Equivocation: two different records signed at (hostile, mesh channel, seq 2).
        var first = hostile.Advisory("Ransomware crew targets municipal water utilities", meshId, 2, hostile.CardId);
        var second = hostile.Advisory("Ransomware warning withdrawn: water utilities are not targeted", meshId, 2, hostile.CardId);
        var firstId = RecordId.OfHeader(first.Header.Span);
        var secondId = RecordId.OfHeader(second.Header.Span);
        await link.SendRecordsAsync(first);
        await Retry.Until(() => target.Holds(firstId), Timeouts.Call, "node 0 stores the first of the two");
        await link.SendRecordsAsync(second);
        // The store writes the fork proof row in the insert's transaction; the event is logged right after.
        await Retry.Until(() => target.Node.Store.ForkProofs().Any(p => p.Author.Equals(hostile.Id)) && cluster.Logs.Has("EquivocationDetected", 0),
            Timeouts.Call, "node 0 records a fork proof and logs EquivocationDetected");

        // (e) An oversize frame: one record with a 5 MB payload, beyond the node's MaxFrameBytes (4 MiB).
        var huge = hostile.Advisory("Full packet capture", meshId, 3, firstId, bodyBytes: 5 * 1024 * 1024);
        var hugeId = RecordId.OfHeader(huge.Header.Span);
        Assert.True(new LinkFrame { Records = new Records { Records_ = { huge } } }.CalculateSize() > target.Service<I4C.Node.Mesh.MeshOptions>().MaxFrameBytes);
        try
        {
            await link.SendRecordsAsync(huge);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
        {
            output.WriteLine($"writing the oversize frame failed on the client: {ex.GetType().Name}: {ex.Message}");
        }
        await Retry.Until(() => cluster.Logs.Has("PeerBanned", 0), Timeouts.Call, () => $"node 0 bans the hostile member (score {target.Scores.ScoreOf(hostile.Id)})");

        // The hostile link is closed, further frames on it fail, and a new Link is refused while banned.
        await link.Completion.Within(Timeouts.Call, "node 0 closing the hostile link");
        output.WriteLine($"hostile link ended with: {link.EndedWith?.GetType().Name ?? "end of stream"} {link.EndedWith?.Message}");
        await Retry.Until(() => !target.Sync.IsLinked(hostile.Id), Timeouts.Call, "node 0 drops the hostile link");
        Assert.True(target.Scores.IsBanned(hostile.Id));
        await Assert.ThrowsAnyAsync<Exception>(() => link.SendRecordsAsync(first));
        var refused = await Assert.ThrowsAsync<RpcException>(() => RawLink.OpenAsync(hostile, target.MeshEndpoint));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        // (f) Garbage bytes: on a raw TCP connection, and inside a TLS connection.
        await SendGarbageAsync(target.MeshEndpoint, tls: null);
        await SendGarbageAsync(target.MeshEndpoint, tls: hostile);

        // Assert: nothing false is stored anywhere; the true part of the hostile chain and the fork proof spread.
        await Retry.Until(() => cluster.Nodes.All(n => n.Holds(firstId) && n.Node.Store.ForkProofs().Any(p => p.Author.Equals(hostile.Id))),
            Timeouts.Converge, () => "every real node holds the first record and a fork proof; " + cluster.DescribeState());
        await cluster.WaitForStableAsync();
        foreach (var node in cluster.Nodes)
        {
            Assert.False(node.Holds(forgedId), $"{node} holds the forged record");
            Assert.False(node.Holds(foreignId), $"{node} holds the non-member's record");
            Assert.False(node.Holds(secondId), $"{node} holds the second of the equivocating pair");
            Assert.False(node.Holds(hugeId), $"{node} holds the oversize record");
            Assert.True(node.Holds(hostile.CardId));
            var proof = Assert.Single(node.Node.Store.ForkProofs(), p => p.Author.Equals(hostile.Id));
            Assert.Equal(2UL, proof.Seq);
            Assert.Equal(new[] { firstId, secondId }.Order(new RecordIdOrder()), new[] { proof.FirstId, proof.SecondId }.Order(new RecordIdOrder()));
            Assert.Single(node.Node.Store.OfKind(RecordKind.ForkProof));
            Assert.Empty(node.Node.Verify().Failures);
        }
        foreach (var index in new[] { 0, 1 })
        {
            var members = await cluster[index].CliAsync("members", "--json");
            Assert.True(members.ExitCode == 0, members.ToString());
            var entry = JsonNode.Parse(members.Stdout)!["members"]!.AsArray().Single(m => m!["nodeId"]!.GetValue<string>() == hostile.Id.Text)!;
            Assert.True(entry["forkProofs"]!.GetValue<uint>() >= 1, $"node {index}: `i4c members` shows no fork proof for the hostile member:\n{members.Stdout}");
        }
        Assert.True(cluster.Logs.Has("RecordRejected", 0));
        Assert.True(cluster.Logs.Has("PeerPenalised", 0));
        Assert.True(cluster.Logs.Has("PeerBanned", 0));
        Assert.Equal(0, cluster[1].Scores.ScoreOf(cluster[0].Id));
        Assert.Equal(0, cluster[2].Scores.ScoreOf(cluster[0].Id));

        foreach (var entry in cluster.Logs.Entries.Where(e => e.Node == 0 && e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning))
        {
            output.WriteLine(entry.ToString());
        }

        // The other members are unaffected.
        var after = await cluster[1].PublishAdvisoryAsync("Lyon: all clear after the incident");
        await Retry.Until(() => cluster[0].Holds(after.Id) && cluster[2].Holds(after.Id), Timeouts.Converge, "Lyon's new advisory reaches Bonn and Torino");
    }

    private static bool Rejected(MeshCluster cluster, string code) =>
        cluster.Logs.Events("RecordRejected", 0).Any(e => e.Message.Contains(code, StringComparison.Ordinal));

    /// <summary>Writes random bytes to the mesh port, raw or after a TLS handshake, and waits until the node drops the connection.</summary>
    private async Task SendGarbageAsync(string endpoint, HostileMember? tls)
    {
        var colon = endpoint.LastIndexOf(':');
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Within(Timeouts.Call, "connecting to the mesh port");
        Stream stream = tcp.GetStream();
        if (tls is not null)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "i4c-node",
                ClientCertificates = [tls.Certificate],
                EnabledSslProtocols = SslProtocols.Tls13,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }).Within(Timeouts.Call, "TLS handshake for the garbage test");
            stream = ssl;
        }
        await using (stream)
        {
            using var cts = new CancellationTokenSource(Timeouts.Call);
            try
            {
                await stream.WriteAsync(RandomNumberGenerator.GetBytes(16 * 1024), cts.Token);
                await stream.FlushAsync(cts.Token);
                var buffer = new byte[4096];
                while (await stream.ReadAsync(buffer, cts.Token) > 0)
                {
                }
            }
            catch (IOException ex)
            {
                output.WriteLine($"garbage ({(tls is null ? "raw" : "in TLS")}): connection dropped: {ex.Message}");
            }
            Assert.False(cts.IsCancellationRequested, "the node kept a connection open that sent it garbage");
        }
    }

    private sealed class RecordIdOrder : IComparer<RecordId>
    {
        public int Compare(RecordId x, RecordId y) => x.Span.SequenceCompareTo(y.Span);
    }
}
