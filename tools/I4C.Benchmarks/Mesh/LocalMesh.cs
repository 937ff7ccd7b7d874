using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace I4C.Benchmarks.Mesh;

/// <summary>One running in-process node of a <see cref="LocalMesh"/>, with the mesh services resolved once.</summary>
internal sealed class MeshNode
{
    public MeshNode(int index, string dataDirectory, NodeHost host)
    {
        Index = index;
        DataDirectory = dataDirectory;
        Host = host;
        Sync = host.Services.GetRequiredService<SyncEngine>();
        State = host.Services.GetRequiredService<MeshState>();
        Connections = host.Services.GetRequiredService<ConnectionManager>();
        Traffic = host.Services.GetRequiredService<TrafficCounter>();
    }

    public int Index { get; }

    public string DataDirectory { get; }

    public NodeHost Host { get; }

    public LocalNode Node => Host.Node;

    public NodeId Id => Host.Node.Identity.Id;

    public SyncEngine Sync { get; }

    public MeshState State { get; }

    public ConnectionManager Connections { get; }

    /// <summary>Bytes on the wire of the mesh connections this node dialed.</summary>
    public TrafficCounter Traffic { get; }

    public string MeshEndpoint => Host.Runtime.MeshEndpoint;

    public override string ToString() => $"n{Index}";
}

/// <summary>
/// N nodes run in this process with <see cref="NodeHost.StartAsync"/>, each on 127.0.0.1 with
/// port 0 for mesh, admin and UDP, mDNS off, its own data directory under one temporary
/// directory, and log output reduced to warnings (kept for error messages). A slim version of
/// the peer tests' MeshCluster: no proxies, no partitions. Disposing stops every node still
/// running and deletes the directory.
/// </summary>
internal sealed class LocalMesh : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly MeshNode?[] _nodes;
    private readonly string[] _directories;
    private bool _disposed;

    private LocalMesh(int count, string root)
    {
        Root = root;
        _nodes = new MeshNode?[count];
        _directories = Enumerable.Range(0, count).Select(i => Path.Combine(root, $"node{i}")).ToArray();
    }

    /// <summary>The temporary directory holding every node's data directory.</summary>
    public string Root { get; }

    /// <summary>Warning and error lines the nodes logged (the last ones are kept).</summary>
    public WarningLog Warnings { get; } = new();

    public MeshNode this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} is not running.");

    public IReadOnlyList<MeshNode> Nodes => _nodes.OfType<MeshNode>().ToList();

    public int Count => _nodes.Length;

    public string DataDirectoryOf(int index) => _directories[index];

    /// <summary>Starts <paramref name="count"/> nodes (in no mesh yet) with the given replication tunables.</summary>
    public static async Task<LocalMesh> StartAsync(int count, MeshOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var mesh = new LocalMesh(count, Samples.TempDirectory("mesh"));
        try
        {
            // Each start creates a key pair and a TLS certificate: CPU work done before the first await.
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(() => mesh.StartNodeAsync(i, options, cancellationToken), cancellationToken)))
                .ConfigureAwait(false);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartNodeAsync(int index, MeshOptions mesh, CancellationToken cancellationToken)
    {
        var options = new NodeOptions
        {
            DataDirectory = _directories[index],
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Admin = new IPEndPoint(IPAddress.Loopback, 0),
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            UdpPort = 0,
            Mdns = false,
            // Benchmarks load whole histories from one author in seconds: measure replication, not the rate limit.
            MaxRecordsPerAuthorPerMinute = 1_000_000,
            Mesh = mesh,
            FirstStartProfile = new NodeProfile($"Bench City {index}", "DE", MemberCategory.EuCity, Participation.Active),
        };
        var host = await NodeHost.StartAsync(options, logging => logging.AddProvider(Warnings.ProviderFor(index)), TimeProvider.System, cancellationToken)
            .WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        _nodes[index] = new MeshNode(index, _directories[index], host);
    }

    /// <summary>
    /// Founds a mesh of every node: each publishes its card, node 0 creates the charter with all
    /// cards, every other node signs it, and the nodes in <paramref name="adopters"/> adopt it (they
    /// then link by themselves). The others are founders that have not adopted yet.
    /// </summary>
    public async Task<CharterDocument> FoundAsync(IReadOnlyList<int> adopters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(adopters);
        var nodes = Enumerable.Range(0, Count).Select(i => this[i]).ToList();
        var cards = new List<SignedRecord>();
        foreach (var node in nodes)
        {
            var card = await node.State.EnsureCardAsync(cancellationToken).ConfigureAwait(false);
            cards.Add(card.ToWire());
        }
        var document = CharterRules.Create(
            nodes[0].Node.Identity,
            "I4C mesh benchmark",
            SHA256.HashData("The benchmark cities share what they see."u8),
            "i4c-benchmark-agreement.pdf",
            admissionThreshold: (uint)Math.Min(2, cards.Count),
            revocationThreshold: 0,
            cards,
            DateTimeOffset.UtcNow);
        foreach (var node in nodes.Skip(1))
        {
            document = CharterRules.Sign(node.Node.Identity, document);
        }
        Charter = document;
        foreach (var index in adopters)
        {
            await AdoptAsync(index, cancellationToken).ConfigureAwait(false);
        }
        return document;
    }

    /// <summary>The charter made by <see cref="FoundAsync"/>.</summary>
    public CharterDocument? Charter { get; private set; }

    /// <summary>Node <paramref name="index"/> adopts the charter made by <see cref="FoundAsync"/>; it starts linking at once.</summary>
    public async Task AdoptAsync(int index, CancellationToken cancellationToken)
    {
        var charter = Charter ?? throw new InvalidOperationException("no charter: call FoundAsync first.");
        await this[index].State.AdoptAsync(charter, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether every running node holds the same chain heads (so the same records, as chains are gap-free).</summary>
    public bool HeadsAgree()
    {
        string? first = null;
        foreach (var node in Nodes)
        {
            var key = string.Join(';', node.Node.Store.Heads().Select(h => Convert.ToHexString(h.Author) + Convert.ToHexString(h.Channel) + ":" + h.Seq).Order(StringComparer.Ordinal));
            if (first is null)
            {
                first = key;
            }
            else if (key != first)
            {
                return false;
            }
        }
        return first is not null;
    }

    /// <summary>One line: each node's record count and link count.</summary>
    public string Describe() =>
        string.Join(", ", Nodes.Select(n => $"{n}: {n.Node.Store.Count()} records, {n.Sync.Links.Count} links"));

    /// <summary>Stops node <paramref name="index"/> (its data directory stays until the mesh is disposed).</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = _nodes[index];
        _nodes[index] = null;
        if (node is not null)
        {
            await node.Host.DisposeAsync().AsTask().WaitAsync(StopTimeout).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            var stops = Enumerable.Range(0, _nodes.Length).Where(i => _nodes[i] is not null).Select(StopNodeAsync).ToArray();
            try
            {
                await Task.WhenAll(stops).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                await Console.Error.WriteLineAsync($"i4c-bench mesh: a node did not stop cleanly: {ex.Message}").ConfigureAwait(false);
            }
        }
        finally
        {
            Samples.DeleteDirectory(Root);
        }
    }
}

/// <summary>
/// Collects the nodes' Warning, Error and Critical log lines (the last <see cref="Kept"/>), so a
/// failing benchmark can say what the nodes complained about. Lower levels are disabled, so the
/// nodes' per-record log lines cost nothing.
/// </summary>
internal sealed class WarningLog
{
    public const int Kept = 30;

    private readonly ConcurrentQueue<string> _lines = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public string Tail() => _lines.IsEmpty ? "(no warnings logged)" : "node warnings (last lines):\n  " + string.Join("\n  ", _lines);

    public ILoggerProvider ProviderFor(int node) => new Provider(this, node);

    private void Add(string line)
    {
        Interlocked.Increment(ref _count);
        _lines.Enqueue(line);
        while (_lines.Count > Kept && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Provider(WarningLog log, int node) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, node, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(WarningLog log, int node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Add($"n{node} {logLevel} {category}[{eventId.Name}]: {formatter(state, exception)}");
            }
        }
    }
}

/// <summary>Wall-clock timing of one benchmark, for the summary line.</summary>
internal static class WallClock
{
    public static async Task<(T Result, double Seconds)> TimeAsync<T>(Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var clock = Stopwatch.StartNew();
        var result = await run().ConfigureAwait(false);
        return (result, clock.Elapsed.TotalSeconds);
    }
}
