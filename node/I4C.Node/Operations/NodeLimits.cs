using System.Collections.Concurrent;
using I4C.Core.Identity;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Storage;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Operations;

/// <summary>
/// The node's resource limits (docs/operations.md, "Resource limits"): records per author per
/// minute, mesh links, database size on disk, and counting of refused records (record size
/// included). Each hit raises <see cref="Hit"/> (the metric) and writes one LimitHit log line,
/// at most one per limit every <see cref="LogInterval"/>, never with payload content.
/// </summary>
public sealed class NodeLimits
{
    /// <summary>Limit names, as in the metric's "limit" label and the log line.</summary>
    public const string RateLimit = "records_per_author_minute";
    public const string PeersLimit = "max_peers";
    public const string DiskLimit = "max_db_size";
    public const string SizeLimit = "record_size";

    /// <summary>At most one LimitHit line per limit in this interval; the next line says how many hits it left out.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Records from the mesh created longer ago than this are history (a catch-up, a new member's backlog), not a live flood: the rate does not apply to them.</summary>
    public static readonly TimeSpan HistoryAge = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SizeRefresh = TimeSpan.FromSeconds(1);

    private readonly NodeOptions _options;
    private readonly RecordStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<NodeId, AuthorRate> _rates = new();
    private readonly ConcurrentDictionary<string, (long LastLogMs, long Suppressed)> _logged = new(StringComparer.Ordinal);
    private readonly Lock _sizeGate = new();
    private long _databaseBytes = -1;
    private long _sizeReadMs;

    public NodeLimits(NodeOptions options, RecordStore store, TimeProvider time, ILogger<NodeLimits> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised on every limit hit with the limit's name (the i4c_limit_hits_total metric).</summary>
    public event Action<string>? Hit;

    /// <summary>Raised on every refused record with its reason (the i4c_records_rejected_total metric).</summary>
    public event Action<RejectReason>? RecordRejected;

    /// <summary>Bytes of the mesh connections other members opened to this node (counted at the listener).</summary>
    public TrafficCounter Inbound { get; } = new();

    public long MaxDatabaseBytes => _options.MaxDatabaseBytes;

    /// <summary>The --max-peers limit.</summary>
    public int MaxPeers => _options.MaxPeers;

    /// <summary>Size of i4c.db plus its WAL, re-read at most once a second.</summary>
    public long DatabaseBytes
    {
        get
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            lock (_sizeGate)
            {
                if (_databaseBytes < 0 || now - _sizeReadMs >= SizeRefresh.TotalMilliseconds)
                {
                    _databaseBytes = SizeOf(_store.Path) + SizeOf(_store.Path + "-wal");
                    _sizeReadMs = now;
                }
                return _databaseBytes;
            }
        }
    }

    /// <summary>True when the database has reached --max-db-size: new content records are refused.</summary>
    public bool DiskFull => _options.MaxDatabaseBytes > 0 && DatabaseBytes >= _options.MaxDatabaseBytes;

    /// <summary>Counts a refused record; an OVERSIZE one is also a hit of the record-size limit.</summary>
    public void Rejected(Rejection rejection, string source)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        RecordRejected?.Invoke(rejection.Reason);
        if (rejection.Reason == RejectReason.Oversize)
        {
            Report(SizeLimit, $"a record from {source} exceeds a size limit: {rejection.Detail}");
        }
    }

    /// <summary>
    /// Checks a record this node is about to publish. Returns why it must be refused, or null.
    /// Only content kinds count; membership records, receipts and retractions are never refused here.
    /// </summary>
    public string? CheckLocalPublish(ValidatedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!TlpPolicy.IsContent(record.Header.Kind))
        {
            return null;
        }
        if (DiskFull)
        {
            var why = $"the database has reached its size cap ({DatabaseBytes} of {_options.MaxDatabaseBytes} bytes, --max-db-size); new records are refused until the cap is raised or space is freed. Reads and the mesh go on.";
            Report(DiskLimit, "local publish refused: database at its size cap");
            return why;
        }
        var rate = _rates.GetOrAdd(record.Author, _ => new AuthorRate());
        lock (rate)
        {
            if (rate.CountBefore(record.Header.CreatedUnixMs) >= _options.MaxRecordsPerAuthorPerMinute)
            {
                Report(RateLimit, $"local publish refused: this node wrote {_options.MaxRecordsPerAuthorPerMinute} records in the last minute");
                return $"this node has published {_options.MaxRecordsPerAuthorPerMinute} records in the last minute, the limit (--max-records-per-minute); publish again in a minute.";
            }
            rate.Add(record.Header.CreatedUnixMs);
        }
        return null;
    }

    /// <summary>
    /// Filters validated records from a peer before they are stored: returns those admitted, in
    /// order. A content record is deferred when the database is at its cap, or when it was created
    /// within the last <see cref="HistoryAge"/>, its author has written more than the limit within
    /// the minute before it, and this node has already let through that many of the author's
    /// over-rate records in the last minute of its own clock.
    /// Once a record of a chain is deferred, the rest of that chain in the batch is deferred too,
    /// so no gap opens; anti-entropy offers deferred records again on a later round.
    /// </summary>
    public IReadOnlyList<ValidatedRecord> AdmitFromPeer(IReadOnlyList<ValidatedRecord> records, NodeId peer)
    {
        ArgumentNullException.ThrowIfNull(records);
        List<ValidatedRecord>? admitted = null;
        HashSet<(NodeId, string)>? held = null;
        var diskFull = DiskFull;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        int deferredRate = 0, deferredDisk = 0;
        Dictionary<(NodeId, string), ulong>? next = null;
        (NodeId Author, string Channel) chain = default;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (i == 0 || !record.Author.Equals(chain.Author) || !record.Channel.SequenceEqual(records[i - 1].Channel))
            {
                chain = (record.Author, Convert.ToHexString(record.Channel)); // a batch is mostly one chain: one key for its run
            }
            var defer = held is not null && held.Contains(chain);
            if (!defer && TlpPolicy.IsContent(record.Header.Kind))
            {
                if (diskFull)
                {
                    defer = true;
                    deferredDisk++;
                }
                else if (nowMs - record.Header.CreatedUnixMs <= HistoryAge.TotalMilliseconds && WouldStore(record, chain, ref next))
                {
                    var rate = _rates.GetOrAdd(record.Author, _ => new AuthorRate());
                    lock (rate)
                    {
                        if (rate.CountBefore(record.Header.CreatedUnixMs) < _options.MaxRecordsPerAuthorPerMinute || rate.TakeRelease(nowMs, _options.MaxRecordsPerAuthorPerMinute))
                        {
                            rate.Add(record.Header.CreatedUnixMs);
                        }
                        else
                        {
                            defer = true;
                            deferredRate++;
                        }
                    }
                }
            }
            if (defer)
            {
                if (admitted is null)
                {
                    admitted = new List<ValidatedRecord>(records.Count);
                    for (var j = 0; j < i; j++)
                    {
                        admitted.Add(records[j]);
                    }
                }
                (held ??= []).Add(chain);
                continue;
            }
            admitted?.Add(record);
        }
        if (deferredRate > 0)
        {
            Report(RateLimit, $"deferred {deferredRate} records from {peer}: their author writes faster than {_options.MaxRecordsPerAuthorPerMinute} a minute", deferredRate);
        }
        if (deferredDisk > 0)
        {
            Report(DiskLimit, $"deferred {deferredDisk} records from {peer}: database at its size cap ({_options.MaxDatabaseBytes} bytes)", deferredDisk);
        }
        return admitted ?? records;
    }

    /// <summary>The refusal an inbound dialer gets (gRPC status UNAVAILABLE) when the node holds --max-peers links.</summary>
    public string Refusal => $"This node has reached its limit of {_options.MaxPeers} mesh links (--max-peers); link with another member.";

    /// <summary>
    /// Whether the store would keep <paramref name="record"/>: not already held, and next on its chain
    /// after the store's head and the records before it in this batch. Only such records count against
    /// the rate and take from the release budget; a duplicate (the same record offered by two peers) or
    /// one after a gap would use them up without storing anything, slowing deferred records down.
    /// </summary>
    private bool WouldStore(ValidatedRecord record, (NodeId, string) chain, ref Dictionary<(NodeId, string), ulong>? next)
    {
        next ??= [];
        if (!next.TryGetValue(chain, out var expected))
        {
            // Once per chain per batch, also when the batch's first record of the chain is not the next one.
            expected = _store.GetHead(record.Author, record.Channel).Seq + 1;
            next[chain] = expected;
        }
        // Chains are stored without gaps, so the record one past the head is never already held.
        if (record.Seq != expected)
        {
            return false;
        }
        next[chain] = expected + 1;
        return true;
    }

    /// <summary>Whether another inbound link may open now; false (and a hit) when the node holds --max-peers links.</summary>
    public bool AdmitInboundLink(int currentLinks, bool alreadyLinked, NodeId peer) => alreadyLinked || AdmitLink(currentLinks, outbound: false, peer);

    /// <summary>Whether a new link (to a peer not yet linked) may join the <paramref name="currentLinks"/> open; false (and a hit) at --max-peers.</summary>
    public bool AdmitLink(int currentLinks, bool outbound, NodeId peer)
    {
        if (currentLinks < _options.MaxPeers)
        {
            return true;
        }
        Report(PeersLimit, outbound
            ? $"closed an outbound link to {peer} that opened while inbound links filled the node: {currentLinks} links open, the limit is {_options.MaxPeers}"
            : $"refused an inbound link from {peer}: {currentLinks} links open, the limit is {_options.MaxPeers}");
        return false;
    }

    /// <summary>How many more outbound links the node may open (the connection manager dials no more than this).</summary>
    public int OutboundRoom(int currentLinks, int dialing) => Math.Max(0, _options.MaxPeers - currentLinks - dialing);

    /// <summary>One hit: the metric every time, the log line at most once per limit per <see cref="LogInterval"/>.</summary>
    private void Report(string limit, string what, int hits = 1)
    {
        for (var i = 0; i < hits; i++)
        {
            Hit?.Invoke(limit);
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var write = false;
        long suppressed = 0;
        _logged.AddOrUpdate(limit,
            _ =>
            {
                write = true;
                return (now, 0);
            },
            (_, last) =>
            {
                if (now - last.LastLogMs >= LogInterval.TotalMilliseconds)
                {
                    write = true;
                    suppressed = last.Suppressed;
                    return (now, 0);
                }
                write = false;
                return (last.LastLogMs, last.Suppressed + hits);
            });
        if (write)
        {
            OperationsLog.LimitHit(_logger, limit, what, suppressed);
        }
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path) is { Exists: true } info ? info.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>One author's recent creation times and its release budget (callers lock the instance).</summary>
    private sealed class AuthorRate
    {
        // Sorted ascending. Chains arrive roughly in creation order, so an insert lands at or near
        // the end, and counting a window is two binary searches, not a scan: a fresh member pulling
        // a day's history of a busy author would otherwise spend quadratic time here.
        private readonly List<long> _created = [];
        private double _tokens = -1;
        private long _refilledMs;

        /// <summary>How many admitted records were created within the minute up to <paramref name="createdMs"/>.</summary>
        public int CountBefore(long createdMs)
        {
            var from = createdMs - (long)Window.TotalMilliseconds;
            return UpperBound(createdMs) - UpperBound(from);
        }

        public void Add(long createdMs)
        {
            _created.Insert(UpperBound(createdMs), createdMs);
            // Keep two minutes behind the newest; prune in steps.
            if (_created.Count % 64 == 0)
            {
                var keepFrom = _created[^1] - 2 * (long)Window.TotalMilliseconds;
                var old = LowerBound(keepFrom);
                if (old > 0)
                {
                    _created.RemoveRange(0, old);
                }
            }
        }

        /// <summary>Index of the first element greater than <paramref name="value"/>.</summary>
        private int UpperBound(long value)
        {
            int lo = 0, hi = _created.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (_created[mid] <= value)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            return lo;
        }

        /// <summary>Index of the first element not less than <paramref name="value"/>.</summary>
        private int LowerBound(long value) => value == long.MinValue ? 0 : UpperBound(value - 1);

        /// <summary>Lets one over-rate record through if this minute's budget (a token bucket of <paramref name="perMinute"/>) allows.</summary>
        public bool TakeRelease(long nowMs, int perMinute)
        {
            if (_tokens < 0)
            {
                _tokens = perMinute;
                _refilledMs = nowMs;
            }
            _tokens = Math.Min(perMinute, _tokens + (nowMs - _refilledMs) * perMinute / Window.TotalMilliseconds);
            _refilledMs = nowMs;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
