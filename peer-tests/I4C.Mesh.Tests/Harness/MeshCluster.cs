using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using Microsoft.Extensions.Logging;

namespace I4C.Mesh.Tests.Harness;

/// <summary>How a <see cref="MeshCluster"/> runs its nodes.</summary>
public sealed record MeshClusterOptions
{
    /// <summary>Replication tunables: the defaults with a 300 ms anti-entropy interval, for fast convergence.</summary>
    public MeshOptions Mesh { get; init; } = new() { AntiEntropyInterval = TimeSpan.FromMilliseconds(300) };

    /// <summary>Route every dial through a <see cref="LoopbackProxy"/> per (dialer, endpoint), so links can be cut or delayed. Default on.</summary>
    public bool UseProxies { get; init; } = true;

    /// <summary>Seeds per node index (host:port of other nodes' mesh endpoints); none by default (peers are found through card endpoints).</summary>
    public Func<int, IReadOnlyList<string>>? Seeds { get; init; }

    /// <summary>Adjusts node <c>index</c>'s options before it starts (e.g. its export ceiling); none by default.</summary>
    public Func<int, NodeOptions, NodeOptions>? Configure { get; init; }
}

/// <summary>
/// N in-process nodes on 127.0.0.1 with port 0 for mesh, admin and UDP, each with its own
/// temporary data directory (deleted at dispose), captured logs, and optional loopback
/// proxies between them for partitions. Start / Stop / Kill / Restart single nodes,
/// <see cref="FoundAsync"/> a mesh from a charter signed by the founders, and
/// <see cref="WaitForStableAsync"/> until every node holds the same records. At dispose,
/// any Warning, Error or Critical log line not declared with <see cref="Expect(string, int?)"/>
/// fails the test.
/// </summary>
public sealed class MeshCluster : IAsyncDisposable
{
    private static readonly NodeProfile[] Cities =
    [
        new("City of Bonn", "DE", MemberCategory.EuCity, Participation.Active),
        new("Ville de Lyon", "FR", MemberCategory.EuCity, Participation.Active),
        new("Comune di Torino", "IT", MemberCategory.EuCity, Participation.Active),
        new("Gemeente Utrecht", "NL", MemberCategory.EuCity, Participation.Active),
        new("Ayuntamiento de Valencia", "ES", MemberCategory.EuCity, Participation.Active),
        new("Miasto Gdańsk", "PL", MemberCategory.EuCity, Participation.Active),
        new("Stadt Wien", "AT", MemberCategory.EuCity, Participation.Active),
        new("Oslo kommune", "NO", MemberCategory.NonEuCity, Participation.Active),
    ];

    private readonly ITestOutputHelper _output;
    private readonly MeshClusterOptions _options;
    private readonly List<ClusterNode> _nodes = [];
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Dialer, string Endpoint), LoopbackProxy> _proxies = [];
    private readonly Dictionary<string, int> _endpointOwner = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<(int, int)> _cut = [];
    private readonly List<Func<LogEntry, bool>> _expected = [];
    private int _directories;
    private TimeSpan _linkDelay;

    private MeshCluster(ITestOutputHelper output, MeshClusterOptions options)
    {
        _output = output;
        _options = options;
        Root = Path.Combine(Path.GetTempPath(), "i4c-mesh-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The cluster's temporary directory; every node's data directory is under it.</summary>
    public string Root { get; }

    public LogSink Logs { get; } = new();

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    public ClusterNode this[int index] => _nodes[index];

    public IEnumerable<ClusterNode> RunningNodes => _nodes.Where(n => n.IsRunning);

    /// <summary>The adopted charter, after <see cref="FoundAsync"/>.</summary>
    public CharterDocument? Charter { get; private set; }

    public byte[] MeshId => Charter is null ? throw new InvalidOperationException("no mesh founded yet") : CharterRules.MeshIdOf(Charter.Charter.Span);

    public MeshOptions MeshOptions => _options.Mesh;

    /// <summary>Starts <paramref name="count"/> nodes (not yet in a mesh).</summary>
    public static async Task<MeshCluster> StartAsync(int count, ITestOutputHelper output, MeshClusterOptions? options = null)
    {
        var cluster = new MeshCluster(output, options ?? new MeshClusterOptions());
        try
        {
            for (var i = 0; i < count; i++)
            {
                var profile = i < Cities.Length ? Cities[i] : new NodeProfile($"Test City {i}", "ZZ", MemberCategory.Other, Participation.Active);
                cluster._nodes.Add(new ClusterNode(i, cluster.NewDirectory($"node{i}"), profile));
            }
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(cluster._nodes.Select(n => cluster.StartNodeAsync(n.Index))).ConfigureAwait(false);
            output.WriteLine($"cluster: started {count} nodes in {clock.ElapsedMilliseconds} ms");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A fresh directory under <see cref="Root"/> (deleted with the cluster).</summary>
    public string NewDirectory(string name) => Path.Combine(Root, $"{name}-{Interlocked.Increment(ref _directories)}");

    /// <summary>Declares that log lines with this event name (of one node, or any) are expected, whatever their level.</summary>
    public void Expect(string eventName, int? node = null) => _expected.Add(e => e.EventName == eventName && (node is null || e.Node == node));

    /// <summary>Declares expected log lines by predicate.</summary>
    public void Expect(Func<LogEntry, bool> predicate) => _expected.Add(predicate);

    /// <summary>Warning, Error and Critical lines nobody declared as expected.</summary>
    public IReadOnlyList<LogEntry> UnexpectedLogs() =>
        Logs.Entries.Where(e => e.Level >= LogLevel.Warning && !_expected.Any(p => p(e))).ToList();

    // ---- lifecycle -------------------------------------------------------------------

    /// <summary>Starts node <paramref name="index"/> (again) on its data directory, with fresh ports.</summary>
    public async Task StartNodeAsync(int index, IReadOnlyList<string>? seeds = null)
    {
        var node = _nodes[index];
        if (node.IsRunning)
        {
            throw new InvalidOperationException($"{node} is already running.");
        }
        var options = new NodeOptions
        {
            DataDirectory = node.DataDirectory,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Admin = new IPEndPoint(IPAddress.Loopback, 0),
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            UdpPort = 0,
            Seeds = seeds ?? _options.Seeds?.Invoke(index) ?? [],
            FirstStartProfile = node.Profile,
            Mesh = _options.Mesh,
            ExpirySweepInterval = TimeSpan.FromMinutes(5),
            RewriteDialEndpoint = _options.UseProxies ? endpoint => RouteDial(index, endpoint) : null,
            // Loopback clusters find each other through card endpoints; mDNS is tested across namespaces.
            Mdns = false,
            // Tests load thousands of records from one author in seconds; the rate limit has its own tests (LimitTests).
            MaxRecordsPerAuthorPerMinute = 1_000_000,
        };
        options = _options.Configure?.Invoke(index, options) ?? options;
        var clock = Stopwatch.StartNew();
        var host = await NodeHost.StartAsync(options, logging => ConfigureLogging(logging, index), TimeProvider.System, CancellationToken.None)
            .Within(Timeouts.Start, $"starting {node}").ConfigureAwait(false);
        lock (_gate)
        {
            _endpointOwner[host.Runtime.MeshEndpoint] = index;
            node.Host = host;
            node.Id = host.Node.Identity.Id;
        }
        _output.WriteLine($"cluster: {node} up in {clock.ElapsedMilliseconds} ms at {host.Runtime.MeshEndpoint} (udp {host.Runtime.UdpPort}, id {node.Id.Text[..12]})");
    }

    private void ConfigureLogging(ILoggingBuilder logging, int index)
    {
        logging.AddProvider(Logs.ProviderFor(index));
        // The node's own components are captured down to Debug (link errors, dial failures)
        // for the failure report; Microsoft and Grpc stay at Warning as the host sets them.
        logging.AddFilter<CapturingLoggerProvider>("I4C", LogLevel.Debug);
    }

    /// <summary>Stops node <paramref name="index"/> cleanly (disposes the host); its data directory stays.</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = _nodes[index];
        NodeHost? host;
        lock (_gate)
        {
            host = node.Host;
            node.Host = null;
        }
        if (host is null)
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        await host.DisposeAsync().Within(Timeouts.Stop, $"stopping {node}").ConfigureAwait(false);
        _output.WriteLine($"cluster: {node} stopped in {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// Kills node <paramref name="index"/>: resets every proxied connection to and from it
    /// first, so peers see the connection drop as from a crash, then disposes the host.
    /// </summary>
    public async Task KillNodeAsync(int index)
    {
        if (!_nodes[index].IsRunning)
        {
            return;
        }
        var endpoint = _nodes[index].MeshEndpoint;
        List<LoopbackProxy> affected;
        lock (_gate)
        {
            affected = _proxies.Where(p => p.Key.Dialer == index || string.Equals(p.Key.Endpoint, endpoint, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value).ToList();
        }
        foreach (var proxy in affected)
        {
            proxy.Cut();
        }
        await StopNodeAsync(index).ConfigureAwait(false);
        foreach (var proxy in affected)
        {
            if (!IsCutPair(proxy))
            {
                proxy.Heal();
            }
        }
    }

    /// <summary>Stops and starts node <paramref name="index"/> on the same data directory; its ports change (port 0), so it republishes its card.</summary>
    public async Task RestartNodeAsync(int index)
    {
        await StopNodeAsync(index).ConfigureAwait(false);
        await StartNodeAsync(index).ConfigureAwait(false);
    }

    // ---- founding --------------------------------------------------------------------

    /// <summary>
    /// Founds a mesh: every founder's card (<see cref="MeshState.EnsureCardAsync"/>), a charter
    /// created by the first founder with all cards (plus <paramref name="extraCards"/>), signed
    /// by every founder (plus <paramref name="extraSigners"/>), adopted by every node in
    /// <paramref name="adopters"/> (default: the founders). Waits until every adopter has a link
    /// when more than one adopted.
    /// </summary>
    public async Task<CharterDocument> FoundAsync(
        IReadOnlyList<int>? founders = null,
        IReadOnlyList<int>? adopters = null,
        IReadOnlyList<SignedRecord>? extraCards = null,
        IReadOnlyList<NodeIdentity>? extraSigners = null,
        uint benchmarkMinContributors = 0)
    {
        founders ??= _nodes.Select(n => n.Index).ToList();
        adopters ??= founders;
        var clock = Stopwatch.StartNew();
        var cards = new List<SignedRecord>();
        foreach (var i in founders)
        {
            var card = await _nodes[i].Mesh.EnsureCardAsync(CancellationToken.None).Within(Timeouts.Call, $"card of {_nodes[i]}").ConfigureAwait(false);
            cards.Add(card.ToWire());
        }
        cards.AddRange(extraCards ?? []);
        var creator = _nodes[founders[0]];
        var document = CharterRules.Create(
            creator.Identity,
            "Joint defence agreement of the I4C cities",
            SHA256.HashData(Encoding.UTF8.GetBytes("The cities agree to share what they see, within TLP, and to defend each other.")),
            "i4c-joint-defence-agreement.pdf",
            admissionThreshold: (uint)Math.Min(2, cards.Count),
            revocationThreshold: 0,
            cards,
            DateTimeOffset.UtcNow,
            benchmarkMinContributors);
        foreach (var i in founders.Skip(1))
        {
            document = CharterRules.Sign(_nodes[i].Identity, document);
        }
        foreach (var signer in extraSigners ?? [])
        {
            document = CharterRules.Sign(signer, document);
        }
        Charter = document;
        foreach (var i in adopters)
        {
            await AdoptAsync(i).ConfigureAwait(false);
        }
        if (adopters.Count > 1)
        {
            await Retry.Until(() => adopters.All(i => _nodes[i].Sync.Links.Count > 0), Timeouts.Converge,
                () => "every adopter has a link: " + string.Join(", ", adopters.Select(i => $"{_nodes[i]}={_nodes[i].Sync.Links.Count}"))).ConfigureAwait(false);
        }
        _output.WriteLine($"cluster: founded mesh {Convert.ToHexStringLower(MeshId)[..16]} with {cards.Count} founders in {clock.ElapsedMilliseconds} ms");
        return document;
    }

    /// <summary>Founds a mesh of the first <paramref name="founders"/> nodes, all of which adopt it.</summary>
    public Task<CharterDocument> FoundAsync(int founders) => FoundAsync(founders: Enumerable.Range(0, founders).ToList());

    /// <summary>Node <paramref name="index"/> adopts the charter made by <see cref="FoundAsync"/>.</summary>
    public async Task AdoptAsync(int index)
    {
        var charter = Charter ?? throw new InvalidOperationException("no charter: call FoundAsync first.");
        await _nodes[index].Mesh.AdoptAsync(charter, CancellationToken.None).Within(Timeouts.Call, $"{_nodes[index]} adopting the charter").ConfigureAwait(false);
    }

    // ---- convergence -----------------------------------------------------------------

    /// <summary>Waits until every running node holds the same set of record ids and has at least one link; returns how long that took.</summary>
    public async Task<TimeSpan> WaitForStableAsync(TimeSpan? timeout = null)
    {
        var elapsed = await Retry.Until(IsStable, timeout ?? Timeouts.Converge, DescribeState, TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        _output.WriteLine($"cluster: stable after {elapsed.TotalMilliseconds:0} ms ({RunningNodes.First().RecordCount} records on each of {RunningNodes.Count()} nodes)");
        return elapsed;
    }

    private bool IsStable()
    {
        var running = RunningNodes.ToList();
        if (running.Count == 0 || running.Any(n => n.Sync.Links.Count == 0))
        {
            return false;
        }
        var counts = running.Select(n => n.RecordCount).Distinct().Count();
        if (counts != 1)
        {
            return false;
        }
        var first = running[0].RecordIds();
        return running.Skip(1).All(n => n.RecordIds().SetEquals(first));
    }

    /// <summary>One line per node: records held and live links.</summary>
    public string DescribeState() => "all nodes hold the same records and have a link; now: " + string.Join("; ", _nodes.Select(n => n.IsRunning
        ? $"{n}: {n.RecordCount} records, links to [{string.Join(",", n.LinkedPeers.Select(IndexOf))}]"
        : $"{n}: stopped"));

    /// <summary>The cluster index of a node id, or -1 for a stranger.</summary>
    public int IndexOf(NodeId id) => _nodes.FindIndex(n => id.Equals(n.Id));

    // ---- partitions ------------------------------------------------------------------

    /// <summary>Where node <paramref name="dialer"/> really connects when it dials <paramref name="endpoint"/>: a proxy dedicated to that pair.</summary>
    private string RouteDial(int dialer, string endpoint)
    {
        lock (_gate)
        {
            if (!_proxies.TryGetValue((dialer, endpoint), out var proxy))
            {
                proxy = new LoopbackProxy(endpoint) { Delay = _linkDelay };
                _proxies[(dialer, endpoint)] = proxy;
                if (IsCutPair(proxy))
                {
                    proxy.Cut();
                }
            }
            return proxy.Endpoint;
        }
    }

    private bool IsCutPair(LoopbackProxy proxy)
    {
        lock (_gate)
        {
            var key = _proxies.First(p => ReferenceEquals(p.Value, proxy)).Key;
            return _endpointOwner.TryGetValue(key.Endpoint, out var owner) && _cut.Contains(Pair(key.Dialer, owner));
        }
    }

    private static (int, int) Pair(int a, int b) => a < b ? (a, b) : (b, a);

    /// <summary>The proxies node <paramref name="dialer"/> has used to reach node <paramref name="target"/> (one per endpoint the target had).</summary>
    public IReadOnlyList<LoopbackProxy> ProxiesBetween(int dialer, int target)
    {
        lock (_gate)
        {
            return _proxies.Where(p => p.Key.Dialer == dialer && _endpointOwner.GetValueOrDefault(p.Key.Endpoint, -1) == target).Select(p => p.Value).ToList();
        }
    }

    /// <summary>Cuts every link between the two sets, both directions: existing connections are reset and new dials refused until <see cref="Heal"/>.</summary>
    public void Partition(IEnumerable<int> a, IEnumerable<int> b)
    {
        if (!_options.UseProxies)
        {
            throw new InvalidOperationException("partitions need UseProxies.");
        }
        var left = a.ToList();
        var right = b.ToList();
        lock (_gate)
        {
            foreach (var i in left)
            {
                foreach (var j in right)
                {
                    _cut.Add(Pair(i, j));
                }
            }
            foreach (var ((dialer, endpoint), proxy) in _proxies)
            {
                if (_endpointOwner.TryGetValue(endpoint, out var owner) && _cut.Contains(Pair(dialer, owner)))
                {
                    proxy.Cut();
                }
            }
        }
        _output.WriteLine($"cluster: partitioned {{{string.Join(",", left)}}} from {{{string.Join(",", right)}}}");
    }

    /// <summary>Holds every chunk on every proxied link (existing and future) this long before forwarding it; zero removes the delay.</summary>
    public void DelayLinks(TimeSpan delay)
    {
        lock (_gate)
        {
            _linkDelay = delay;
            foreach (var proxy in _proxies.Values)
            {
                proxy.Delay = delay;
            }
        }
        _output.WriteLine($"cluster: links delayed by {delay.TotalMilliseconds:0} ms per chunk");
    }

    /// <summary>Lifts every partition.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _cut.Clear();
            foreach (var proxy in _proxies.Values)
            {
                proxy.Heal();
            }
        }
        _output.WriteLine("cluster: healed");
    }

    // ---- dispose ---------------------------------------------------------------------

    public async ValueTask DisposeAsync()
    {
        Exception? failure = null;
        try
        {
            await Task.WhenAll(_nodes.Where(n => n.IsRunning).Select(n => StopNodeAsync(n.Index))).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        List<LoopbackProxy> proxies;
        lock (_gate)
        {
            proxies = [.. _proxies.Values];
            _proxies.Clear();
        }
        foreach (var proxy in proxies)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }
        var unexpected = UnexpectedLogs();
        var entries = Logs.Entries;
        if (unexpected.Count > 0 || failure is not null)
        {
            _output.WriteLine($"---- node logs ({entries.Count} lines) ----");
            foreach (var entry in entries)
            {
                _output.WriteLine(entry.ToString());
            }
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _output.WriteLine($"cluster: could not delete {Root}: {ex.Message}");
        }
        if (failure is not null)
        {
            throw new InvalidOperationException("A node did not stop cleanly.", failure);
        }
        if (unexpected.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"{unexpected.Count} unexpected warning/error log line(s):\n" + string.Join("\n", unexpected.Take(20)));
        }
    }
}
