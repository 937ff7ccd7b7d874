using System.Diagnostics.Metrics;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Node.Udp;
using I4C.Storage;

namespace I4C.Node.Operations;

/// <summary>
/// The node's instruments on the Meter "I4C.Node", exported in Prometheus form on the admin HTTP
/// listener's GET /metrics (docs/operations.md lists every series). Gauges are read from the store
/// and the mesh when scraped; counters are added to where things happen.
/// </summary>
internal sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "I4C.Node";

    private readonly Meter _meter;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _limitHits;
    private long _lastRoundMissing;
    private long _lastInSyncUnixMs;
    private bool _everInSync;

    public NodeMetrics(IMeterFactory factory, RecordStore store, SyncEngine engine, TrafficCounter dialed, ControlPlane udp, NodeLimits limits, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(limits);
        _meter = factory.Create(MeterName, Admin.NodeRuntimeInfo.Version);
        Time = time;
        Started = time.GetUtcNow();
        _rejected = _meter.CreateCounter<long>("i4c_records_rejected", description: "Records refused, from peers or local publishing, by the validator's or the policy's reason code.");
        _limitHits = _meter.CreateCounter<long>("i4c_limit_hits", description: "Times a resource limit was hit, by limit.");
        _meter.CreateObservableGauge("i4c_records_stored", () => store.Counts().ByKindAndTlp.Select(c =>
            new Measurement<long>(c.Count, new("tlp", TlpLabels.Short(c.Tlp)), new("kind", RecordKinds.Name(c.Kind)))),
            description: "Records held in the store, by TLP label and kind (purged ones included: their headers stay).");
        _meter.CreateObservableGauge("i4c_peers_connected", () => (long)engine.Links.Count, description: "Mesh links open now (inbound and outbound).");
        _meter.CreateObservableGauge("i4c_sync_missing_records", () => Interlocked.Read(ref _lastRoundMissing),
            description: "Records the last completed anti-entropy round found this node lacking (held at the peer, not here).");
        _meter.CreateObservableGauge("i4c_sync_lag_seconds", () => SyncLagSeconds(),
            description: "Seconds since an anti-entropy round last ended with nothing missing; since start when none has yet.");
        _meter.CreateObservableCounter("i4c_mesh_bytes", () => new Measurement<long>[]
        {
            new(dialed.BytesIn + limits.Inbound.BytesIn, new KeyValuePair<string, object?>("direction", "in")),
            new(dialed.BytesOut + limits.Inbound.BytesOut, new KeyValuePair<string, object?>("direction", "out")),
        }, unit: "By", description: "Bytes on the wire (TLS included) of mesh connections, dialed and accepted.");
        _meter.CreateObservableCounter("i4c_udp_bytes", () => new Measurement<long>[]
        {
            new(udp.BytesReceived, new KeyValuePair<string, object?>("direction", "in")),
            new(udp.BytesSent, new KeyValuePair<string, object?>("direction", "out")),
        }, unit: "By", description: "Bytes of the UDP control plane (LiteNetLib datagrams).");
        _meter.CreateObservableGauge("i4c_database_bytes", () => limits.DatabaseBytes, unit: "By", description: "Size of the database on disk (i4c.db and its WAL).");
        _meter.CreateObservableGauge("i4c_database_limit_bytes", () => limits.MaxDatabaseBytes, unit: "By", description: "The --max-db-size cap; 0 = none.");
        engine.RoundEnded += OnRoundEnded;
        limits.Hit += limit => _limitHits.Add(1, new KeyValuePair<string, object?>("limit", limit));
        limits.RecordRejected += Rejected;
    }

    private TimeProvider Time { get; }

    private DateTimeOffset Started { get; }

    /// <summary>Counts a refused record under its reason code (e.g. OVERSIZE, BAD_SIGNATURE).</summary>
    public void Rejected(RejectReason reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", Rejection.ReasonCode(reason)));

    private void OnRoundEnded(long missing)
    {
        Interlocked.Exchange(ref _lastRoundMissing, missing);
        if (missing == 0)
        {
            Interlocked.Exchange(ref _lastInSyncUnixMs, Time.GetUtcNow().ToUnixTimeMilliseconds());
            Volatile.Write(ref _everInSync, true);
        }
    }

    private double SyncLagSeconds()
    {
        var since = Volatile.Read(ref _everInSync) ? DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastInSyncUnixMs)) : Started;
        return Math.Max(0, (Time.GetUtcNow() - since).TotalSeconds);
    }

    public void Dispose() => _meter.Dispose();
}
