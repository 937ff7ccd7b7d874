using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;

/// <summary>Tunables of replication; defaults documented in docs/protocol.md.</summary>
public sealed record MeshOptions
{
    /// <summary>Peers a node keeps links with. Default 6.</summary>
    public int TargetPeers { get; init; } = 6;

    /// <summary>
    /// Peers a fresh record is pushed to at once; the others get a lazy UDP announcement. Default 4
    /// (plumtree and gossipsub use 4–6): on 16 nodes it cut the p50 to the last node by a quarter
    /// against 3, for about one more duplicate per delivery (docs/benchmarks.md).
    /// </summary>
    public int EagerFanout { get; init; } = 4;

    /// <summary>
    /// Time between two passes of the connection manager (dial to reach the peer target, redial with
    /// backoff, periodic upkeep). A change of the roster (a charter adopted, a member admitted) or a
    /// new place to dial runs a pass at once. Default 100 ms.
    /// </summary>
    public TimeSpan ConnectionPassInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time between anti-entropy rounds with a random linked peer. Default 2 s.</summary>
    public TimeSpan AntiEntropyInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an announced record may take to arrive by push before it is fetched. Default 40 ms.</summary>
    public TimeSpan FetchDelay { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>What a peer that does not state its limit in Hello accepts per Records frame (the limit before it was stated).</summary>
    public const int LegacyMaxBatchRecords = 256;

    /// <summary>
    /// Most records per Records frame this node accepts (stated in its Hello) and sends (at most what
    /// the peer stated). Default 2048, so that for records of 1 KiB the frame's byte budget
    /// (<see cref="MaxBatchBytes"/>, about 1,400 of them) decides: larger batches mean fewer frames
    /// and store transactions per record during a catch-up, and each transaction rewrites the
    /// record-id index's pages once for more records (docs/benchmarks.md).
    /// </summary>
    public int MaxBatchRecords { get; init; } = 2048;

    /// <summary>Most bytes (header, signature, payload) per range-reply or fetch-reply frame (a single larger record still goes alone). Default 2 MiB.</summary>
    public int MaxBatchBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Largest frame accepted from a peer. Default 4 MiB.</summary>
    public int MaxFrameBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Frames per second a peer may send before it is penalised for flooding. Default 2000.</summary>
    public int FloodFramesPerSecond { get; init; } = 2000;
}

/// <summary>
/// Replication: anti-entropy over digests of chain heads, eager push of fresh records to
/// a few peers, fetch after lazy announcements, and the receiving side's checks (every
/// record validated, membership and TLP rules applied, before it is stored or
/// forwarded). Knows links, not sockets.
/// </summary>
public sealed class SyncEngine
{
    private readonly LocalNode _node;
    private readonly MeshState _mesh;
    private readonly PeerScores _scores;
    private readonly MeshOptions _options;
    private readonly ILogger<SyncEngine> _logger;
    private readonly ConcurrentDictionary<NodeId, Link> _links = new();
    private readonly Lock _linkGate = new();
    private readonly ConcurrentDictionary<ulong, RoundWaiter> _rounds = new();
    private readonly ConcurrentDictionary<RecordId, byte> _pendingFetch = new();
    private readonly ConcurrentDictionary<RecordId, byte> _forwardWhenStored = new();
    private readonly ConcurrentDictionary<NodeId, (long Second, int Frames)> _frameRates = new();
    private readonly Lock _randomGate = new();
    private readonly ConcurrentDictionary<(Link Link, string Chain), ServeCursor> _serving = new();
    private readonly Lock _serveGate = new();
    private readonly Random _random;
    private long _round;
    private long _duplicates;
    private long _received;

    public SyncEngine(LocalNode node, MeshState mesh, PeerScores scores, MeshOptions options, ILogger<SyncEngine> logger, Random? random = null)
    {
        _node = node;
        _mesh = mesh;
        _scores = scores;
        _options = options;
        _logger = logger;
        _random = random ?? new Random();
        _node.Published += record => Disseminate([record], from: null);
        _scores.Banned += peer =>
        {
            if (_links.TryGetValue(peer, out var link))
            {
                link.Close("banned");
            }
        };
    }

    private sealed class RoundWaiter(NodeId peer)
    {
        public NodeId Peer { get; } = peer;
        public TaskCompletionSource<long> Missing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Raised when a link is registered or removed.</summary>
    public event Action<Link, bool>? LinkChanged;

    /// <summary>Raised when fresh records should be announced lazily (UDP) to a peer; only records the peer may receive.</summary>
    public event Action<IReadOnlyList<ValidatedRecord>, NodeId>? Announce;

    public IReadOnlyCollection<Link> Links => (IReadOnlyCollection<Link>)_links.Values;

    public bool IsLinked(NodeId peer) => _links.ContainsKey(peer);

    public Link? LinkTo(NodeId peer) => _links.GetValueOrDefault(peer);

    /// <summary>Resource limits and refusal counting (set by the host; null when a test builds the engine by hand).</summary>
    public Operations.NodeLimits? Limits { get; set; }

    /// <summary>Raised when an anti-entropy round this node started ends, with how many records it lacked (for metrics).</summary>
    public event Action<long>? RoundEnded;

    /// <summary>Raised after records received from a peer were stored (for metrics and measurements).</summary>
    public event Action<IReadOnlyList<ValidatedRecord>, NodeId>? RecordsStored;

    /// <summary>Records received that this node already held (duplicate deliveries).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Records received and newly stored.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Most fresh records remembered for forwarding once a chain gap before them is filled.</summary>
    private const int MaxForwardWhenStored = 4096;

    /// <summary>Why a link was closed at once: the node already held --max-peers links.</summary>
    public const string MaxPeersReason = "over --max-peers";

    /// <summary>
    /// Runs a link until it ends. Only one link per peer survives: the one dialed by the smaller node id.
    /// A link to a new peer beyond --max-peers is refused: an inbound one with UNAVAILABLE, an outbound one closed.
    /// </summary>
    public async Task RunLinkAsync(Link link)
    {
        ArgumentNullException.ThrowIfNull(link);
        // Hello goes into the link's queue before the link is visible to other threads (the
        // anti-entropy tick, dissemination), so it is always the first frame the peer reads.
        link.TrySend(new LinkFrame { Hello = new Hello { Version = 1, MeshId = ByteString.CopyFrom(_mesh.MeshId ?? []), UdpPort = _mesh.UdpPort, MaxBatchRecords = (uint)_options.MaxBatchRecords } });
        lock (_linkGate)
        {
            // --max-peers is enforced here, where links are added, so an inbound link accepted while
            // an outbound dial was in flight (or two inbound links at once) cannot push the node past it.
            if (!_links.ContainsKey(link.Peer) && Limits is { } limits && !limits.AdmitLink(_links.Count, link.Outbound, link.Peer))
            {
                link.Close(MaxPeersReason);
                if (link.Outbound)
                {
                    return;
                }
                throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, limits.Refusal));
            }
            if (!_links.TryAdd(link.Peer, link))
            {
                var existing = _links[link.Peer];
                var keepNew = link.Dialer is { } d && existing.Dialer is { } e && string.CompareOrdinal(d.Text, e.Text) < 0;
                if (!keepNew)
                {
                    link.Close("duplicate link");
                    return;
                }
                existing.Close("duplicate link");
                _links[link.Peer] = link;
            }
        }
        MeshLog.LinkUp(_logger, link.Outbound ? "outbound" : "inbound", link.Peer.Text, link.Name);
        LinkChanged?.Invoke(link, true);
        try
        {
            _ = StartRound(link);
            try
            {
                await link.RunAsync(HandleAsync).ConfigureAwait(false);
            }
            finally
            {
                // The records of the last frame read are stored (or fail) before the link is gone.
                await DrainRecordsAsync(link).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException or IOException or InvalidOperationException)
        {
            MeshLog.LinkError(_logger, link.Peer.Text, ex);
            if (ex is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.ResourceExhausted })
            {
                _scores.Penalise(link.Peer, 50, "oversize frame");
            }
            link.Close(ex.GetType().Name);
        }
        finally
        {
            _links.TryRemove(new KeyValuePair<NodeId, Link>(link.Peer, link));
            MeshLog.LinkDown(_logger, link.Peer.Text, link.CloseReason ?? "ended");
            LinkChanged?.Invoke(link, false);
            foreach (var (id, waiter) in _rounds)
            {
                if (waiter.Peer.Equals(link.Peer) && _rounds.TryRemove(id, out _))
                {
                    waiter.Missing.TrySetCanceled();
                }
            }
        }
    }

    /// <summary>Starts an anti-entropy round with the peer; the task completes with how many records this node lacked.</summary>
    public Task<long> StartRound(Link link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var round = (ulong)Interlocked.Increment(ref _round);
        var waiter = new RoundWaiter(link.Peer);
        _rounds[round] = waiter;
        var (digest, count) = Digest(link.Peer);
        if (!link.TrySend(new LinkFrame { Digest = new Digest { Digest_ = ByteString.CopyFrom(digest), Chains = (uint)count, Round = round } }))
        {
            _rounds.TryRemove(round, out _);
            waiter.Missing.TrySetCanceled();
        }
        return waiter.Missing.Task;
    }

    /// <summary>Runs one round with a random linked peer (the periodic anti-entropy tick).</summary>
    public void Tick()
    {
        var links = _links.Values.ToArray();
        if (links.Length == 0)
        {
            return;
        }
        Link chosen;
        lock (_randomGate)
        {
            chosen = links[_random.Next(links.Length)];
        }
        _ = StartRound(chosen);
    }

    private (byte[] Digest, int Count) Digest(NodeId peer)
    {
        var heads = SharedHeads(peer);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> seq = stackalloc byte[8];
        foreach (var head in heads)
        {
            sha.AppendData(head.Author);
            sha.AppendData(head.Channel);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(seq, head.Seq);
            sha.AppendData(seq);
            sha.AppendData(head.HeadId.Span);
        }
        return (sha.GetHashAndReset(), heads.Count);
    }

    private List<ChainHead> SharedHeads(NodeId peer)
    {
        var self = _node.Identity.Id;
        var heads = new List<ChainHead>();
        foreach (var head in _node.Store.Heads().Where(h => TlpPolicy.ChainShareable(h.Author, h.Audience, h.Red, self, peer)))
        {
            // A revoked or replaced key's chain is offered only as far as its marks: records it signed
            // beyond them (held here from before the revocation arrived) every peer would refuse.
            if (EndedAt(head.Author, head.Channel) is { } last && head.Seq > last)
            {
                if (last > 0 && _node.Store.GetAt(head.Author, head.Channel, last) is { } at)
                {
                    heads.Add(head with { Seq = last, HeadId = at.Id });
                }
                continue;
            }
            heads.Add(head);
        }
        return heads;
    }

    /// <summary>The last acceptable seq of a revoked or replaced key's chain (its mark); null for any other author.</summary>
    private ulong? EndedAt(ReadOnlySpan<byte> author, ReadOnlySpan<byte> channel)
    {
        var id = NodeId.FromPublicKey(author);
        return _mesh.Roster.StandingOf(id)?.Kind is Core.Membership.StandingKind.Revoked or Core.Membership.StandingKind.Replaced
            ? _mesh.Roster.AcceptableUpTo(id, channel)
            : null;
    }

    private async ValueTask HandleAsync(Link link, LinkFrame frame)
    {
        if (frame.CalculateSize() > _options.MaxFrameBytes)
        {
            Violation(link, "oversize frame", 50);
            link.Close("oversize frame");
            return;
        }
        CountFrame(link);
        if (!link.HelloReceived && frame.BodyCase != LinkFrame.BodyOneofCase.Hello)
        {
            Violation(link, $"first frame was {frame.BodyCase}, not Hello", 50);
            link.Close("protocol violation");
            return;
        }
        if (frame.BodyCase != LinkFrame.BodyOneofCase.Records)
        {
            // Every other frame sees the effect of every Records frame before it.
            await DrainRecordsAsync(link).ConfigureAwait(false);
        }
        switch (frame.BodyCase)
        {
            case LinkFrame.BodyOneofCase.Hello:
                OnHello(link, frame.Hello);
                break;
            case LinkFrame.BodyOneofCase.Digest:
                OnDigest(link, frame.Digest);
                break;
            case LinkFrame.BodyOneofCase.DigestMatch:
                link.LastSyncUnixMs = _node.Time.GetUtcNow().ToUnixTimeMilliseconds();
                CompleteRound(frame.DigestMatch.Round, link, 0);
                break;
            case LinkFrame.BodyOneofCase.Heads:
                OnHeads(link, frame.Heads);
                break;
            case LinkFrame.BodyOneofCase.Want:
                OnWant(link, frame.Want);
                break;
            case LinkFrame.BodyOneofCase.Records:
                await OnRecordsAsync(link, frame.Records).ConfigureAwait(false);
                break;
            case LinkFrame.BodyOneofCase.Fetch:
                OnFetch(link, frame.Fetch);
                break;
            default:
                Violation(link, "empty or unknown frame", 25);
                break;
        }
    }

    private void CountFrame(Link link)
    {
        var second = _node.Time.GetUtcNow().ToUnixTimeSeconds();
        var entry = _frameRates.AddOrUpdate(link.Peer, _ => (second, 1), (_, e) => e.Second == second ? (second, e.Frames + 1) : (second, 1));
        if (entry.Frames == _options.FloodFramesPerSecond + 1)
        {
            Violation(link, $"flood: more than {_options.FloodFramesPerSecond} frames in one second", 20);
        }
    }

    private void Violation(Link link, string why, int penalty)
    {
        MeshLog.ProtocolViolation(_logger, link.Peer.Text, why);
        _scores.Penalise(link.Peer, penalty, why);
    }

    private void OnHello(Link link, Hello hello)
    {
        if (hello.Version != 1)
        {
            Violation(link, $"link protocol version {hello.Version}", 25);
            link.Close("unsupported link protocol version");
            return;
        }
        if (_mesh.MeshId is { } mesh && !hello.MeshId.Span.SequenceEqual(mesh))
        {
            Violation(link, "hello for another mesh", 50);
            link.Close("wrong mesh");
            return;
        }
        var stated = hello.MaxBatchRecords == 0 ? MeshOptions.LegacyMaxBatchRecords : (int)Math.Min(hello.MaxBatchRecords, int.MaxValue);
        link.MaxRecordsPerFrame = Math.Min(_options.MaxBatchRecords, stated);
        link.HelloReceived = true;
        link.PeerUdpPort = hello.UdpPort;
    }

    private void OnDigest(Link link, Digest digest)
    {
        var (mine, _) = Digest(link.Peer);
        if (mine.AsSpan().SequenceEqual(digest.Digest_.Span))
        {
            link.LastSyncUnixMs = _node.Time.GetUtcNow().ToUnixTimeMilliseconds();
            link.TrySend(new LinkFrame { DigestMatch = new DigestMatch { Round = digest.Round } });
            return;
        }
        link.TrySend(new LinkFrame { Heads = HeadsFrame(link, digest.Round, reply: true) });
    }

    private Heads HeadsFrame(Link link, ulong round, bool reply)
    {
        var frame = new Heads { Round = round, Reply = reply, Serial = link.NextHeadsSerial() };
        foreach (var head in SharedHeads(link.Peer))
        {
            frame.Heads_.Add(new Head
            {
                Author = ByteString.CopyFrom(head.Author),
                Channel = ByteString.CopyFrom(head.Channel),
                Seq = head.Seq,
                Head_ = ByteString.CopyFrom(head.HeadId.Span),
            });
        }
        return frame;
    }

    private void OnHeads(Link link, Heads heads)
    {
        var mine = SharedHeads(link.Peer).ToDictionary(h => Key(h.Author, h.Channel), StringComparer.Ordinal);
        var want = new Want { HeadsSerial = heads.Serial };
        var missing = 0L;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var self = _node.Identity.Id;
        foreach (var theirs in heads.Heads_)
        {
            if (theirs.Author.Length != 32 || theirs.Channel.Length != 32 || theirs.Head_.Length != 32 || theirs.Seq == 0)
            {
                Violation(link, "malformed head", 25);
                return;
            }
            var key = Key(theirs.Author.Span, theirs.Channel.Span);
            seen.Add(key);
            var local = mine.GetValueOrDefault(key);
            var localSeq = local?.Seq ?? 0;
            // Never ask for what this node would refuse: a non-member's chain, or a revoked or
            // replaced key's records beyond the marks recorded for it.
            var theirSeq = theirs.Seq;
            if (!theirs.Author.Span.SequenceEqual(self.PublicKey) &&
                _mesh.Roster.AcceptableUpTo(NodeId.FromPublicKey(theirs.Author.Span), theirs.Channel.Span) is { } limit)
            {
                theirSeq = Math.Min(theirSeq, limit);
            }
            if (theirSeq > localSeq)
            {
                missing += (long)(theirSeq - localSeq);
                want.Ranges.Add(new ChainRange { Author = theirs.Author, Channel = theirs.Channel, FromSeq = localSeq + 1, ToSeq = theirSeq });
            }
            else if (theirs.Seq == localSeq && local is not null && !theirs.Head_.Span.SequenceEqual(local.HeadId.Span))
            {
                // Same position, different record: fetch theirs to record the fork.
                want.Ranges.Add(new ChainRange { Author = theirs.Author, Channel = theirs.Channel, FromSeq = localSeq, ToSeq = localSeq });
            }
            else if (theirs.Seq < localSeq)
            {
                Serve(link, [new ChainRange { Author = theirs.Author, Channel = theirs.Channel, FromSeq = theirs.Seq + 1, ToSeq = localSeq }], asked: false);
            }
        }
        var unseen = mine.Where(m => !seen.Contains(m.Key)).Select(m => new ChainRange
        {
            Author = ByteString.CopyFrom(m.Value.Author),
            Channel = ByteString.CopyFrom(m.Value.Channel),
            FromSeq = 1,
            ToSeq = m.Value.Seq,
        }).ToList();
        if (unseen.Count > 0)
        {
            Serve(link, unseen, asked: false);
        }
        if (want.Ranges.Count > 0)
        {
            link.TrySend(new LinkFrame { Want = want });
        }
        if (heads.Reply)
        {
            link.TrySend(new LinkFrame { Heads = HeadsFrame(link, heads.Round, reply: false) });
        }
        link.LastSyncUnixMs = _node.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (heads.Reply)
        {
            // Only an answer to our Digest carries our round number; a reply=false Heads carries the peer's.
            CompleteRound(heads.Round, link, missing);
        }
    }

    private void CompleteRound(ulong round, Link link, long missing)
    {
        if (_rounds.TryGetValue(round, out var waiter) && waiter.Peer.Equals(link.Peer) && _rounds.TryRemove(round, out _))
        {
            waiter.Missing.TrySetResult(missing);
            RoundEnded?.Invoke(missing);
        }
    }

    private static string Key(ReadOnlySpan<byte> author, ReadOnlySpan<byte> channel) =>
        Convert.ToHexString(author) + Convert.ToHexString(channel);

    private void OnWant(Link link, Want want)
    {
        foreach (var range in want.Ranges)
        {
            if (range.Author.Length != 32 || range.Channel.Length != 32 || range.FromSeq == 0 || range.ToSeq < range.FromSeq)
            {
                Violation(link, "malformed range", 25);
                return;
            }
        }
        Serve(link, want.Ranges, asked: true, want.HeadsSerial);
    }

    /// <summary>
    /// Streams the ranges to the peer in bounded batches, in the background, skipping what the peer may not receive.
    /// One stream per (link, chain), holding the seqs still to send; a request for a chain already being streamed on
    /// the link joins that stream.
    /// <list type="bullet">
    /// <item>A push from the peer's heads (<paramref name="asked"/> false) starts above the highest seq queued on this
    /// link before (<see cref="Link.StreamedThrough"/>) or taken by the running stream. The peer's heads lag behind
    /// what is on its way; without this every anti-entropy round during a long catch-up, and a round at its end,
    /// would send the same records again. A peer that refused some asks for them with a Want.</item>
    /// <item>A Want (<paramref name="asked"/> true) answering a Heads frame that was queued before a stream's last
    /// frames of the chain (<paramref name="headsSerial"/> at most the serial recorded with them) starts above those
    /// frames: the peer reads them after that Heads frame, so they are not sent twice. Otherwise, and above them, a
    /// Want adds the whole range, records sent before included: the peer saw them and still asks, so it refused or
    /// lost them (and asks again in a later round, answering a later Heads frame). Only the batch the stream has
    /// read and not yet queued is left out; it reaches the peer after the Want.</item>
    /// </list>
    /// Both rules are applied under the serve lock, where a stream queues its frames and moves
    /// <see cref="Link.StreamedThrough"/>: a frame queued between a check made before the lock and the lock was
    /// sent again (a whole frame of duplicates, seen in about one catch-up in thirty).
    /// </summary>
    private void Serve(Link link, IEnumerable<ChainRange> ranges, bool asked, ulong headsSerial = 0)
    {
        foreach (var range in ranges)
        {
            var to = range.ToSeq;
            if (EndedAt(range.Author.Span, range.Channel.Span) is { } last)
            {
                to = Math.Min(to, last); // nothing beyond a revoked or replaced key's marks
            }
            if (to < range.FromSeq)
            {
                continue;
            }
            var key = (link, Key(range.Author.Span, range.Channel.Span));
            var from = range.FromSeq;
            ServeCursor cursor;
            lock (_serveGate)
            {
                var running = _serving.GetValueOrDefault(key);
                var streamed = link.StreamedThrough.GetValueOrDefault(key.Item2); // (0, 0): nothing queued on this link yet
                if (!asked)
                {
                    // Queued on this link before, or taken by the running stream: on its way, or the peer asks.
                    from = Math.Max(from, Math.Max(streamed.Seq, running?.Taken ?? 0) + 1);
                }
                else if (headsSerial != 0 && headsSerial <= streamed.HeadsSerial)
                {
                    from = Math.Max(from, streamed.Seq + 1); // on its way, read by the peer after the Heads frame it answers
                }
                if (to < from)
                {
                    continue;
                }
                if (running is not null)
                {
                    if (asked)
                    {
                        running.Pending.AddExcept(from, to, running.ReadFrom, running.ReadTo);
                    }
                    else
                    {
                        running.Pending.Add(from, to);
                    }
                    continue;
                }
                cursor = new ServeCursor();
                cursor.Pending.Add(from, to);
                _serving[key] = cursor;
            }
            var author = range.Author.ToByteArray();
            var channel = range.Channel.ToByteArray();
            _ = Task.Run(() => StreamChainAsync(link, key, cursor, author, channel));
        }
    }

    /// <summary>Where a chain's stream to one peer stands. Guarded by the serve lock.</summary>
    private sealed class ServeCursor
    {
        /// <summary>Seqs still to send.</summary>
        public SeqRanges Pending { get; } = new();

        /// <summary>The highest seq the stream has taken from <see cref="Pending"/>.</summary>
        public ulong Taken { get; set; }

        /// <summary>The batch read and not yet queued on the link (none when <see cref="ReadTo"/> &lt; <see cref="ReadFrom"/>).</summary>
        public ulong ReadFrom { get; set; } = 1;

        public ulong ReadTo { get; set; }
    }

    private async Task StreamChainAsync(Link link, (Link, string) key, ServeCursor cursor, byte[] author, byte[] channel)
    {
        var self = _node.Identity.Id;
        var entry = new KeyValuePair<(Link, string), ServeCursor>(key, cursor);
        try
        {
            while (true)
            {
                ulong from, to;
                lock (_serveGate)
                {
                    if (cursor.Pending.IsEmpty || link.Token.IsCancellationRequested)
                    {
                        _serving.TryRemove(entry);
                        return;
                    }
                    (from, to) = cursor.Pending.First;
                }
                var batch = _node.Store.Range(author, channel, from, to, link.MaxRecordsPerFrame, _options.MaxBatchBytes);
                if (batch.Count == 0)
                {
                    lock (_serveGate)
                    {
                        cursor.Pending.Remove(from, to); // not held (any more); what was added beyond to meanwhile stays
                    }
                    continue;
                }
                var frame = new Records { Eager = false };
                foreach (var record in batch)
                {
                    if (!TlpPolicy.MaySend(record.Header, self, link.Peer))
                    {
                        return; // a chain is shareable as a whole or not at all
                    }
                    frame.Records_.Add(record.ToWire());
                }
                var through = batch[^1].Header.Seq;
                lock (_serveGate)
                {
                    cursor.Pending.Remove(from, through);
                    cursor.Taken = Math.Max(cursor.Taken, through);
                    (cursor.ReadFrom, cursor.ReadTo) = (from, through);
                }
                await link.WaitForBulkRoomAsync().ConfigureAwait(false);
                lock (_serveGate)
                {
                    // Queued under the lock that Serve takes: a Want the peer makes after reading this
                    // frame finds the batch no longer "read, not yet queued", so it is sent again if asked.
                    link.QueueBulk(new LinkFrame { Records = frame });
                    (cursor.ReadFrom, cursor.ReadTo) = (1, 0);
                    if (!link.StreamedThrough.TryGetValue(key.Item2, out var streamed) || through >= streamed.Seq)
                    {
                        link.StreamedThrough[key.Item2] = (through, link.HeadsSent);
                    }
                }
                _node.Store.AddAudit(link.Peer, batch.Select(r => r.Header), batch.Select(r => r.Id));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || link.Token.IsCancellationRequested)
        {
            // The link or the node is closing.
        }
        finally
        {
            lock (_serveGate)
            {
                _serving.TryRemove(entry);
            }
        }
    }

    private void OnFetch(Link link, Fetch fetch)
    {
        var self = _node.Identity.Id;
        var frame = new Records { Eager = true };
        long bytes = 0;
        var sent = new List<StoredRecord>();
        foreach (var raw in fetch.Ids.Take(link.MaxRecordsPerFrame))
        {
            if (raw.Length != RecordId.Length)
            {
                Violation(link, "malformed fetch id", 25);
                return;
            }
            var stored = _node.Store.Get(RecordId.FromBytes(raw.Span));
            if (stored is not null && TlpPolicy.MaySend(stored.Header, self, link.Peer) &&
                !(EndedAt(stored.Header.Author.Span, stored.Header.Channel.Span) is { } last && stored.Header.Seq > last))
            {
                var size = stored.HeaderBytes.Length + stored.Signature.Length + (stored.Payload?.Length ?? 0);
                if (frame.Records_.Count > 0 && bytes + size > _options.MaxBatchBytes)
                {
                    break; // the rest arrives by anti-entropy
                }
                bytes += size;
                frame.Records_.Add(stored.ToWire());
                sent.Add(stored);
            }
        }
        if (frame.Records_.Count > 0)
        {
            link.TrySend(new LinkFrame { Records = frame });
            _node.Store.AddAudit(link.Peer, sent.Select(r => r.Header), sent.Select(r => r.Id));
        }
    }

    private async ValueTask OnRecordsAsync(Link link, Records records)
    {
        var count = records.Records_.Count;
        if (count == 0)
        {
            return;
        }
        if (count > _options.MaxBatchRecords)
        {
            Violation(link, $"batch of {count} records (limit {_options.MaxBatchRecords})", 25);
            return;
        }
        // Two stages, pipelined per link: the signatures of this frame are checked (on all cores for
        // a bulk batch) while the previous frame's records are still being stored; this frame's
        // records are then checked against membership and the chain and stored in the background,
        // in order, while the link reads and validates the next frame. Validation needs no state.
        var results = new ValidationResult[count];
        Task validation;
        if (count >= 16)
        {
            validation = Task.Run(() => Parallel.For(0, count, i => results[i] = _node.Validator.Validate(records.Records_[i])));
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                results[i] = _node.Validator.Validate(records.Records_[i]);
            }
            validation = Task.CompletedTask;
        }
        try
        {
            await DrainRecordsAsync(link).ConfigureAwait(false);
        }
        finally
        {
            await validation.ConfigureAwait(false);
        }
        link.PendingRecords = Task.Run(() => StoreRecordsAsync(link, records, results));
    }

    /// <summary>Waits for the store stage of the link's last Records frame; its failure ends the link like any other handler's.</summary>
    private static async ValueTask DrainRecordsAsync(Link link)
    {
        if (link.PendingRecords is { } pending)
        {
            link.PendingRecords = null;
            await pending.ConfigureAwait(false);
        }
    }

    /// <summary>The second stage of a Records frame: membership, TLP and limits, then one store transaction, receipts and forwarding.</summary>
    private async Task StoreRecordsAsync(Link link, Records records, ValidationResult[] results)
    {
        var count = results.Length;
        var roster = _mesh.Roster;
        var self = _node.Identity.Id;
        var accepted = new List<ValidatedRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var result = results[i];
            var rejection = result.Rejection
                ?? TlpPolicy.CheckIncoming(result.Record!, self, link.Peer, roster)
                ?? CheckDerivedLabel(result.Record!)
                ?? CheckSpecialKinds(result.Record!);
            if (rejection is not null)
            {
                var id = result.Record?.Id.ToString() ?? RecordId.OfHeader(records.Records_[i].Header.Span).ToString();
                MeshLog.RecordRejected(_logger, id, link.Peer.Text, rejection.ToString());
                Limits?.Rejected(rejection, link.Peer.Text);
                var goodFaith = rejection.Reason == RejectReason.NotMember && result.Record is { } r && !r.Author.Equals(link.Peer) &&
                    roster.StandingOf(r.Author)?.Kind is Core.Membership.StandingKind.Revoked or Core.Membership.StandingKind.Replaced;
                if (!goodFaith)
                {
                    // A relay that stored a revoked key's records before it learned of the revocation
                    // passes them on in good faith: no penalty for that.
                    _scores.Penalise(link.Peer, PeerScores.PenaltyFor(rejection.Reason), rejection.Code);
                }
                continue;
            }
            accepted.Add(result.Record!);
        }
        if (Limits?.AdmitFromPeer(accepted, link.Peer) is { } admitted && admitted.Count != accepted.Count)
        {
            accepted = [.. admitted];
        }
        if (accepted.Count == 0)
        {
            return;
        }
        // Not flushed on its own (see RecordStore.InsertBatch): a received record lost with the
        // machine is fetched again by anti-entropy; the next durable commit (a publish, a receipt,
        // an audit row) flushes it with everything before it.
        var outcomes = _node.Store.InsertBatch(accepted, durable: false);
        var stored = new List<ValidatedRecord>(accepted.Count);
        var gap = false;
        var membershipChanged = false;
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            switch (outcome.Status)
            {
                case StoreStatus.Stored:
                    stored.Add(accepted[i]);
                    _pendingFetch.TryRemove(accepted[i].Id, out _);
                    membershipChanged |= MeshState.AffectsMembership(accepted[i].Header.Kind);
                    if (accepted[i].Header.Kind == RecordKind.ForkProof && accepted[i].Payload is not null)
                    {
                        StoreForkProof(accepted[i]);
                    }
                    break;
                case StoreStatus.Duplicate:
                    Interlocked.Increment(ref _duplicates);
                    break;
                case StoreStatus.Rejected when outcome.Rejection!.Reason == RejectReason.Equivocation:
                    MeshLog.EquivocationDetected(_logger, accepted[i].Author.Text, accepted[i].Seq);
                    Limits?.Rejected(outcome.Rejection, link.Peer.Text);
                    if (accepted[i].Author.Equals(link.Peer))
                    {
                        // A relay passes a fork on in good faith; an author sending its own fork does not.
                        _scores.Penalise(link.Peer, 50, "EQUIVOCATION by its own author");
                    }
                    await ReportForkAsync(accepted[i]).ConfigureAwait(false);
                    break;
                case StoreStatus.Rejected when outcome.Rejection!.Reason == RejectReason.ChainGap:
                    gap = true;
                    if (records.Eager)
                    {
                        // A fresh record that overtook its predecessor: the round below fetches both as
                        // a range reply, which is not forwarded, so remember to forward them then.
                        if (_forwardWhenStored.Count >= MaxForwardWhenStored)
                        {
                            _forwardWhenStored.Clear(); // bounded: ids of gaps never filled do not pile up
                        }
                        _forwardWhenStored.TryAdd(accepted[i].Id, 0);
                    }
                    break;
                case StoreStatus.Rejected:
                    MeshLog.RecordRejected(_logger, accepted[i].Id.ToString(), link.Peer.Text, outcome.Rejection!.ToString());
                    Limits?.Rejected(outcome.Rejection, link.Peer.Text);
                    _scores.Penalise(link.Peer, PeerScores.PenaltyFor(outcome.Rejection.Reason), outcome.Rejection.Code);
                    break;
            }
        }
        Interlocked.Add(ref _received, stored.Count);
        if (stored.Count > 0)
        {
            RecordsStored?.Invoke(stored, link.Peer);
        }
        foreach (var record in stored)
        {
            if (record.Payload is not null && record.Header.Audience.Count > 0 && (record.Header.Tlp == Tlp.Red || record.Header.ReceiptsRequested) && !record.Author.Equals(self))
            {
                var target = _node.Store.Get(record.Id);
                if (target is not null)
                {
                    try
                    {
                        await _node.SendReceiptAsync(target, ReceiptType.Delivered, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (PublishRefusedException)
                    {
                        // The author is not a member any more: no receipt.
                    }
                }
            }
        }
        MeshLog.RecordsReceived(_logger, stored.Count, count, link.Peer.Text);
        if (membershipChanged)
        {
            _mesh.Recompute();
        }
        var awaited = AwaitedForwarding(stored);
        var forward = records.Eager ? stored : awaited;
        if (forward.Count > 0)
        {
            Disseminate(forward, link.Peer);
        }
        if (gap)
        {
            _ = StartRound(link);
        }
    }

    /// <summary>
    /// Of records stored from a range reply, those to forward as if pushed: a record that arrived by
    /// push ahead of its predecessor (remembered at its chain gap) and the records of its chain that
    /// arrived with it, which its receivers lack for the same reason.
    /// </summary>
    private List<ValidatedRecord> AwaitedForwarding(List<ValidatedRecord> stored)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in stored)
        {
            if (_forwardWhenStored.TryRemove(record.Id, out _))
            {
                chains.Add(Key(record.Header.Author.Span, record.Channel));
            }
        }
        return chains.Count == 0 ? [] : stored.Where(r => chains.Contains(Key(r.Header.Author.Span, r.Channel))).ToList();
    }

    /// <summary>A record derived from another author's record must carry at least that record's label (checked against the sources this node holds).</summary>
    private Rejection? CheckDerivedLabel(ValidatedRecord record)
    {
        foreach (var reference in record.Header.References)
        {
            if (reference.Type != ReferenceType.DerivedFrom)
            {
                continue;
            }
            var source = _node.Store.Get(RecordId.FromBytes(reference.RecordId.Span));
            if (source is not null && (int)source.Header.Tlp > (int)record.Header.Tlp && !source.Header.Author.Equals(record.Header.Author))
            {
                return new Rejection(RejectReason.LabelLowered,
                    $"derived from {source.Id} ({TlpLabels.Display(source.Header.Tlp)}) but labelled {TlpLabels.Display(record.Header.Tlp)}; only the source's author may lower a label");
            }
        }
        return null;
    }

    /// <summary>Kind-specific checks of membership payloads (always plain: membership records go to all members).</summary>
    private Rejection? CheckSpecialKinds(ValidatedRecord record)
    {
        if (record.Payload is null)
        {
            return null;
        }
        try
        {
            return CheckSpecialPayload(record);
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new Rejection(RejectReason.Malformed, $"the {RecordKinds.Name(record.Header.Kind)} payload does not parse: {ex.Message}");
        }
    }

    private Rejection? CheckSpecialPayload(ValidatedRecord record)
    {
        switch (record.Header.Kind)
        {
            case RecordKind.Charter:
                var document = CharterDocument.Parser.ParseFrom(record.Payload);
                if (_mesh.MeshId is { } mesh && !Core.Membership.CharterRules.MeshIdOf(document.Charter.Span).AsSpan().SequenceEqual(mesh))
                {
                    return new Rejection(RejectReason.WrongMesh, "a charter record for another mesh");
                }
                return null;
            case RecordKind.ForkProof:
                return ForkProofProblem(ForkProofPayload.Parser.ParseFrom(record.Payload)) is { } problem
                    ? new Rejection(RejectReason.Malformed, "fork proof does not prove a fork: " + problem)
                    : null;
            default:
                return null;
        }
    }

    private string? ForkProofProblem(ForkProofPayload proof)
    {
        if (proof.First is null || proof.Second is null)
        {
            return "it needs two records";
        }
        var a = _node.Validator.Validate(proof.First.Header.ToByteArray(), proof.First.Signature.ToByteArray(), null);
        var b = _node.Validator.Validate(proof.Second.Header.ToByteArray(), proof.Second.Signature.ToByteArray(), null);
        if (!a.IsValid || !b.IsValid)
        {
            return "a header does not verify";
        }
        var ha = a.Record!.Header;
        var hb = b.Record!.Header;
        if (ha.Author != hb.Author || ha.Channel != hb.Channel || ha.Seq != hb.Seq || a.Record.Id == b.Record.Id)
        {
            return "the headers are not two different records at one (author, channel, seq)";
        }
        return null;
    }

    private void StoreForkProof(ValidatedRecord record)
    {
        var proof = ForkProofPayload.Parser.ParseFrom(record.Payload);
        _node.Store.AddForkProof(proof.First.Header.ToByteArray(), proof.Second.Header.ToByteArray(), proof.Second.Signature.ToByteArray());
    }

    /// <summary>Publishes a fork proof for an equivocation seen for the first time, so every member learns of it.</summary>
    private async ValueTask ReportForkAsync(ValidatedRecord second)
    {
        var first = _node.Store.GetAt(second.Header.Author.Span, second.Channel, second.Seq);
        if (first is null || !TlpPolicy.Entitled(second.Header, _node.Identity.Id) || second.Header.Audience.Count > 0)
        {
            return; // fork proofs go to the whole mesh, so only forks on the mesh channel are reported
        }
        var already = _node.Store.OfKind(RecordKind.ForkProof).Any(r => r.Author.Equals(_node.Identity.Id) && r.Payload is { } p &&
            ForkProofPayload.Parser.ParseFrom(p).Second.Header.Span.SequenceEqual(second.HeaderBytes));
        if (already)
        {
            return;
        }
        var payload = new ForkProofPayload
        {
            First = new SignedRecord { Header = ByteString.CopyFrom(first.HeaderBytes), Signature = ByteString.CopyFrom(first.Signature) },
            Second = new SignedRecord { Header = ByteString.CopyFrom(second.HeaderBytes), Signature = ByteString.CopyFrom(second.Signature) },
        };
        try
        {
            await _node.PublishAsync(new RecordDraft { Kind = RecordKind.ForkProof, Tlp = Tlp.Clear, Payload = payload.ToByteArray() }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (PublishRefusedException)
        {
            // A node that cannot publish still keeps the fork proof row the store wrote.
        }
    }

    /// <summary>Pushes fresh records eagerly to a few peers and announces them lazily to the rest.</summary>
    public void Disseminate(IReadOnlyList<ValidatedRecord> records, NodeId? from)
    {
        ArgumentNullException.ThrowIfNull(records);
        var self = _node.Identity.Id;
        var links = _links.Values.Where(l => from is null || !l.Peer.Equals(from)).ToArray();
        if (links.Length == 0 || records.Count == 0)
        {
            return;
        }
        lock (_randomGate)
        {
            _random.Shuffle(links);
        }
        var eager = 0;
        var lazy = new List<(NodeId Peer, List<ValidatedRecord> Records)>();
        var audit = new List<(NodeId Peer, RecordHeader Header, RecordId Id)>();
        SignedRecord[]? wire = null;
        foreach (var link in links)
        {
            var allowed = records.Where(r => TlpPolicy.MaySend(r.Header, self, link.Peer)).ToList();
            if (allowed.Count == 0)
            {
                continue;
            }
            var isRed = allowed.Any(r => r.Header.Tlp == Tlp.Red);
            if (eager < _options.EagerFanout || isRed)
            {
                // The common case, every record for every peer: one wire copy shared by the frames (never mutated).
                var copies = allowed.Count == records.Count
                    ? (wire ??= records.Select(r => r.ToWire()).ToArray())
                    : allowed.Select(r => r.ToWire()).ToArray();
                // No frame beyond what the peer accepts (records forwarded after a gap can be a whole received batch).
                foreach (var chunk in copies.Chunk(link.MaxRecordsPerFrame))
                {
                    var frame = new Records { Eager = true };
                    frame.Records_.AddRange(chunk);
                    link.TrySend(new LinkFrame { Records = frame });
                }
                audit.AddRange(allowed.Select(r => (link.Peer, r.Header, r.Id)));
                eager++;
            }
            else
            {
                lazy.Add((link.Peer, allowed));
            }
        }
        foreach (var (peer, allowed) in lazy)
        {
            Announce?.Invoke(allowed, peer);
        }
        // Audit rows after every push and announcement, in one durable transaction: a commit (fsync)
        // between two pushes would delay the second peer's copy by a disk commit.
        _node.Store.AddAudit(audit);
    }

    /// <summary>A peer announced records over UDP; fetch the ones still missing after a short grace period.</summary>
    public void OnAnnounced(NodeId peer, IHave ihave)
    {
        ArgumentNullException.ThrowIfNull(ihave);
        var missing = new List<RecordId>();
        foreach (var head in ihave.Records.Take(_options.MaxBatchRecords))
        {
            if (head.Head_.Length != RecordId.Length)
            {
                continue;
            }
            var id = RecordId.FromBytes(head.Head_.Span);
            if (!_node.Store.Contains(id) && _pendingFetch.TryAdd(id, 0))
            {
                missing.Add(id);
            }
        }
        if (missing.Count == 0)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            await Task.Delay(_options.FetchDelay, _node.Time).ConfigureAwait(false);
            var still = missing.Where(id => !_node.Store.Contains(id)).ToList();
            foreach (var id in missing)
            {
                _pendingFetch.TryRemove(id, out _);
            }
            if (still.Count > 0 && _links.TryGetValue(peer, out var link))
            {
                var fetch = new Fetch();
                fetch.Ids.AddRange(still.Select(id => ByteString.CopyFrom(id.Span)));
                link.TrySend(new LinkFrame { Fetch = fetch });
            }
        });
    }

    /// <summary>Runs rounds with every linked peer until none has records this node lacks, or the time is up.</summary>
    public async Task<(bool InSync, long Missing, IReadOnlyList<NodeId> Peers)> WaitInSyncAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _node.Time.GetUtcNow() + timeout;
        long missing = 0;
        IReadOnlyList<NodeId> peers = [];
        do
        {
            var links = _links.Values.ToArray();
            peers = links.Select(l => l.Peer).ToList();
            if (links.Length == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _node.Time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var rounds = links.Select(l => StartRound(l)).ToArray();
            missing = 0;
            var complete = true;
            foreach (var round in rounds)
            {
                var remaining = deadline - _node.Time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    complete = false;
                    break;
                }
                try
                {
                    missing += await round.WaitAsync(remaining < TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5), _node.Time, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException or TaskCanceledException)
                {
                    complete = false;
                }
            }
            if (complete && missing == 0)
            {
                return (true, 0, peers);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), _node.Time, cancellationToken).ConfigureAwait(false);
        }
        while (_node.Time.GetUtcNow() < deadline);
        return (false, missing, peers);
    }
}
