using Google.Protobuf;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// A Want names the Heads frame it answers (Want.heads_serial). Records of a chain that the holder
/// queued on the link after that Heads frame were on their way when the Want was made, so the
/// holder does not send them again; a Want answering a later Heads frame, or naming none (a node that
/// predates the field), gets them.
/// </summary>
[Trait("Category", "Peer")]
public sealed class WantSerialTests(ITestOutputHelper output)
{
    private const int History = 600;
    private const uint FrameLimit = 100; // the raw member's stated records per frame: six frames for the chain

    // For the stalled stream: 31 frames for the chain, far more than HTTP/2 flow control and the bulk window let
    // through while the member does not read, so the stream is sure to be still running.
    private const uint StallFrameLimit = 20;

    [Fact]
    public async Task Want_AnsweringAHeadsFrameQueuedBeforeTheRecordsWereStreamed_IsNotServedTwice()
    {
        // Arrange: node 0 holds 600 records of its own; the raw member has asked (answering Heads frame s1) and received them all.
        var (lab, head, author, channel) = await StartAsync();
        await using var _ = lab;
        var s1 = await ReceiveWholeChainAsync(lab, head, author, channel, round: 71);
        Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (ulong)i), Streamed(lab, author));

        // Act: the same Want again, answering the same Heads frame, which was queued before those records.
        await lab.Link.SendAsync(WantFrame(author, channel, 1, head, s1));
        var s2 = await HeadsAnswerAsync(lab, round: 72);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Assert: nothing sent again.
        Assert.True(s2 > s1, $"Heads serials {s1} then {s2}");
        Assert.Equal((int)head, Streamed(lab, author).Count);

        // Act: a Want answering the later Heads frame (the member refused records, say), and one naming no Heads frame.
        await lab.Link.SendAsync(WantFrame(author, channel, 1, 10, s2));
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head + 10, Timeouts.Call, () => $"records 1–10 sent again; {Streamed(lab, author).Count - (int)head} so far");
        await lab.Link.SendAsync(WantFrame(author, channel, 5, 7, headsSerial: 0));
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head + 13, Timeouts.Call, () => $"records 5–7 sent again; {Streamed(lab, author).Count - (int)head - 10} so far");

        // Assert: exactly those.
        Assert.Equal([.. Enumerable.Range(1, (int)head).Select(i => (ulong)i), .. Enumerable.Range(1, 10).Select(i => (ulong)i), 5UL, 6UL, 7UL], Streamed(lab, author));
    }

    [Fact]
    public async Task Want_ReachingBeyondWhatWasStreamed_GetsOnlyTheRest()
    {
        // Arrange: the member asked for the first 300 (answering Heads frame s1) and received them.
        var (lab, head, author, channel) = await StartAsync();
        await using var _ = lab;
        var s1 = await HeadsAnswerAsync(lab, round: 81);
        await lab.Link.SendAsync(WantFrame(author, channel, 1, 300, s1));
        await Retry.Until(() => Streamed(lab, author).Count >= 300, Timeouts.Converge, () => $"the member receives 300 records; it has {Streamed(lab, author).Count}");

        // Act: a Want answering the same Heads frame, for the whole chain.
        await lab.Link.SendAsync(WantFrame(author, channel, 1, head, s1));
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head, Timeouts.Converge, () => $"the member receives the rest; it has {Streamed(lab, author).Count}");
        await HeadsAnswerAsync(lab, round: 82);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Assert: 301 onwards, once; the first 300 not again.
        Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (ulong)i), Streamed(lab, author));
    }

    [Fact]
    public async Task Want_ForRecordsAStreamStillRunningHasQueued_IsServedAgainUnlessItAnswersAnEarlierHeads()
    {
        // Arrange: the member stops reading, asks for node 0's 600 records (answering Heads frame s1), and the
        // stream stalls in flow control once its first batches are queued.
        var (lab, head, author, channel) = await StartAsync(StallFrameLimit);
        await using var _ = lab;
        var node = lab.Cluster[0];
        var s1 = await HeadsAnswerAsync(lab, round: 91);
        lab.Link.PauseReading();
        await lab.Link.SendAsync(WantFrame(author, channel, 1, head, s1));
        await Retry.Until(() => Audited(lab) >= (int)StallFrameLimit, Timeouts.Call, () => $"node 0 queues its first batch for the member; {Audited(lab)} records audited");

        // Act: records 1–10 asked for again while the stream runs: answering Heads frame s1 (queued before
        // them: on their way, not again), then naming no Heads frame (served again). A Heads frame from the
        // member after them shows when node 0 has handled both.
        await lab.Link.SendAsync(WantFrame(author, channel, 1, 10, s1));
        await lab.Link.SendAsync(WantFrame(author, channel, 1, 10, headsSerial: 0));
        var tip = node.Node.Store.GetHead(node.Id, Channels.Mesh);
        await lab.Link.SendAsync(MemberHeads(author, channel, round: 92, tip.Seq, tip.Id.ToArray()));
        await Retry.Until(() => node.Sync.LinkTo(lab.Member.Id)?.LastSyncUnixMs > 0, Timeouts.Call, "node 0 handles the member's Heads frame");
        Assert.True(Audited(lab) < History, $"the stream was still running when both Wants were handled ({Audited(lab)} of {History} advisories queued)");
        lab.Link.ResumeReading();

        // Assert: every record once, and 1–10 once more.
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head + 10, Timeouts.Converge, () => $"the member receives 1–10 again; it has {Streamed(lab, author).Count} records");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal([.. Enumerable.Range(1, 10).SelectMany(i => new[] { (ulong)i, (ulong)i }), .. Enumerable.Range(11, (int)head - 10).Select(i => (ulong)i)],
            Streamed(lab, author).Order());
    }

    [Fact]
    public async Task Heads_LaggingBehindWhatWasStreamed_PushesOnlyRecordsNeverQueuedOnTheLink()
    {
        // Arrange: the member asked for node 0's chain and received all of it.
        var (lab, head, author, channel) = await StartAsync();
        await using var _ = lab;
        var node = lab.Cluster[0];
        await ReceiveWholeChainAsync(lab, head, author, channel, round: 101);

        // Act: a Heads frame showing the chain at seq 100, as one written before those records arrived would.
        await lab.Link.SendAsync(MemberHeads(author, channel, round: 102, seq: 100, head: new byte[32]));
        await Retry.Until(() => node.Sync.LinkTo(lab.Member.Id)?.LastSyncUnixMs > 0, Timeouts.Call, "node 0 handles the member's Heads frame");
        await HeadsAnswerAsync(lab, round: 103);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Assert: nothing pushed again.
        Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (ulong)i), Streamed(lab, author));

        // Act: node 0 gets 5 more records, and the same lagging Heads frame comes again.
        BulkLoad.Advisories(node, 5);
        await lab.Link.SendAsync(MemberHeads(author, channel, round: 104, seq: 100, head: new byte[32]));
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head + 5, Timeouts.Call, () => $"node 0 pushes its 5 new records; {Streamed(lab, author).Count - (int)head} so far");
        await HeadsAnswerAsync(lab, round: 105);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // Assert: the new records only, once.
        Assert.Equal(Enumerable.Range(1, (int)head + 5).Select(i => (ulong)i), Streamed(lab, author));
    }

    /// <summary>A Heads frame from the member (reply false) listing node 0's chain only, at <paramref name="seq"/>.</summary>
    private static LinkFrame MemberHeads(ByteString author, ByteString channel, ulong round, ulong seq, byte[] head) => new()
    {
        Heads = new Heads
        {
            Round = round,
            Reply = false,
            Serial = round,
            Heads_ = { new Head { Author = author, Channel = channel, Seq = seq, Head_ = ByteString.CopyFrom(head) } },
        },
    };

    /// <summary>Node 0's own advisories (its chain less the card and charter records) its audit log says it queued for the member.</summary>
    private static int Audited(RawMemberLab lab) =>
        lab.Cluster[0].Node.Store.Audit(null, 10_000).Count(e => e.Peer.Equals(lab.Member.Id) && e.Kind == RecordKind.Advisory);

    /// <summary>A raw member linked to node 0, which holds <see cref="History"/> records of its own on its mesh chain (author, channel, head seq).</summary>
    private async Task<(RawMemberLab Lab, ulong Head, ByteString Author, ByteString Channel)> StartAsync(uint frameLimit = FrameLimit)
    {
        var lab = await RawMemberLab.StartAsync(output, "Grad Rijeka", frameLimit, cluster => BulkLoad.Advisories(cluster[0], History));
        var node = lab.Cluster[0];
        return (lab, node.Node.Store.GetHead(node.Id, Channels.Mesh).Seq, ByteString.CopyFrom(node.Id.ToBytes()), ByteString.CopyFrom(Channels.Mesh));
    }

    /// <summary>The member asks for node 0's whole chain, answering the Heads frame of a fresh round, and receives it; returns that frame's serial.</summary>
    private static async Task<ulong> ReceiveWholeChainAsync(RawMemberLab lab, ulong head, ByteString author, ByteString channel, ulong round)
    {
        var serial = await HeadsAnswerAsync(lab, round);
        await lab.Link.SendAsync(WantFrame(author, channel, 1, head, serial));
        await Retry.Until(() => Streamed(lab, author).Count >= (int)head, Timeouts.Converge,
            () => $"the member receives node 0's {head} records; it has {Streamed(lab, author).Count}");
        return serial;
    }

    /// <summary>Sends a Digest that cannot match and returns the serial of node 0's Heads answer to it.</summary>
    private static async Task<ulong> HeadsAnswerAsync(RawMemberLab lab, ulong round)
    {
        await lab.Link.SendAsync(new LinkFrame { Digest = new Digest { Digest_ = ByteString.CopyFrom(new byte[32]), Chains = 0, Round = round } });
        Heads? Answer() => lab.Link.Received.Where(f => f.BodyCase == LinkFrame.BodyOneofCase.Heads && f.Heads.Round == round).Select(f => f.Heads).FirstOrDefault();
        await Retry.Until(() => Answer() is not null, Timeouts.Call, () => $"node 0 answers Digest round {round} with Heads");
        var heads = Answer()!;
        Assert.True(heads.Reply);
        Assert.NotEqual(0UL, heads.Serial);
        return heads.Serial;
    }

    private static LinkFrame WantFrame(ByteString author, ByteString channel, ulong from, ulong to, ulong headsSerial) =>
        new() { Want = new Want { HeadsSerial = headsSerial, Ranges = { new ChainRange { Author = author, Channel = channel, FromSeq = from, ToSeq = to } } } };

    /// <summary>The seqs of node 0's own records the member received in answer to Wants, in the order received.</summary>
    private static List<ulong> Streamed(RawMemberLab lab, ByteString author) =>
        [.. lab.Link.Received.Where(f => f.BodyCase == LinkFrame.BodyOneofCase.Records && !f.Records.Eager)
            .SelectMany(f => f.Records.Records_)
            .Select(r => RecordHeader.Parser.ParseFrom(r.Header))
            .Where(h => h.Author == author && h.Channel == ByteString.CopyFrom(Channels.Mesh))
            .Select(h => h.Seq)];
}
