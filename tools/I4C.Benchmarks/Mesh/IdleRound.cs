using System.Diagnostics;
using I4C.Core.Records;
using I4C.Node.Mesh;

namespace I4C.Benchmarks.Mesh;

/// <summary>One anti-entropy round between two nodes in sync, measured on the dialer's connection.</summary>
public sealed record IdleRoundRun(int Records, int Run, long BytesOut, long BytesIn, double RoundMs, long QuietBytes)
{
    /// <summary>Both directions: what the round costs on the wire.</summary>
    public long Bytes => BytesOut + BytesIn;
}

/// <summary>The median of each column over the rounds at one history size.</summary>
public sealed record IdleRoundMedian(int Records, double Bytes, double BytesOut, double BytesIn, double RoundMs, double QuietBytes);

/// <summary>
/// What keeping two nodes in sync costs when nothing happens: two founders linked and holding
/// the same records (the history is given to both stores directly, the same signed records:
/// one author's chain), the periodic anti-entropy set to one hour so no round overlaps, then
/// <see cref="SyncEngine.StartRound"/> on the dialer's link, awaited. The bytes are the change in
/// the dialer's <see cref="TrafficCounter"/> (TLS records, both directions) from just before the
/// round until <see cref="Settle"/> after it completed, so the HTTP/2 flow-control frames it
/// causes count too. "Quiet bytes" is the same counter over an equal window without a round:
/// background traffic (HTTP/2 keep-alive pings), expected 0. First with 100 records, then with
/// the full history.
/// </summary>
internal static class IdleRound
{
    public const int SmallHistory = 100;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<IdleRoundRun>> RunAsync(MeshBenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var mesh = await LocalMesh.StartAsync(2, new MeshOptions { AntiEntropyInterval = TimeSpan.FromHours(1) }, cancellationToken).ConfigureAwait(false);
        await mesh.FoundAsync([0, 1], cancellationToken).ConfigureAwait(false);

        // Settled: one link (the duplicate from simultaneous dials closed), dialed by one side, same heads.
        bool Settled() => mesh.Nodes.All(n => n.Sync.Links.Count == 1) && mesh.Nodes.Sum(n => n.Sync.Links.Count(l => l.Outbound)) == 1 && mesh.HeadsAgree();
        var ok = await Stats.UntilAsync(Settled, ConvergeTimeout, TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        if (!ok || !Settled())
        {
            throw new MeshBenchmarkException($"idle: the two nodes did not settle on one link in sync within {ConvergeTimeout.TotalSeconds:0} s: {mesh.Describe()}\n{mesh.Warnings.Tail()}");
        }
        var dialer = mesh.Nodes.Single(n => n.Sync.Links.Any(l => l.Outbound));
        var link = dialer.Sync.Links.Single();
        var author = mesh[0];
        var stores = mesh.Nodes.Select(n => n.Node.Store).ToList();

        var results = new List<IdleRoundRun>();
        var held = 0;
        foreach (var size in new[] { SmallHistory, options.Records }.Distinct())
        {
            var add = size - held;
            await Task.Run(() => History.Append(author.Node.Identity, author.Node.MeshId, author.Node.Validator, add, stores, cancellationToken), cancellationToken).ConfigureAwait(false);
            held = size;
            Progress($"  {size:N0} records on both nodes; {options.Runs} round(s)…");
            for (var run = 1; run <= options.Runs; run++)
            {
                var quiet = await QuietBytesAsync(dialer, Settle, cancellationToken).ConfigureAwait(false);
                var (bytesIn, bytesOut) = (dialer.Traffic.BytesIn, dialer.Traffic.BytesOut);
                var clock = Stopwatch.StartNew();
                long missing;
                try
                {
                    missing = await dialer.Sync.StartRound(link).WaitAsync(RoundTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    throw new MeshBenchmarkException($"idle: the round with {size:N0} records did not complete ({ex.GetType().Name}): {mesh.Describe()}\n{mesh.Warnings.Tail()}");
                }
                var roundMs = clock.Elapsed.TotalMilliseconds;
                await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);
                if (missing != 0)
                {
                    throw new MeshBenchmarkException($"idle: the nodes were not in sync: the round found {missing} records missing.");
                }
                results.Add(new IdleRoundRun(size, run, dialer.Traffic.BytesOut - bytesOut, dialer.Traffic.BytesIn - bytesIn, roundMs, quiet));
            }
        }
        return results;
    }

    private static async Task<long> QuietBytesAsync(MeshNode node, TimeSpan window, CancellationToken cancellationToken)
    {
        var before = node.Traffic.BytesIn + node.Traffic.BytesOut;
        await Task.Delay(window, cancellationToken).ConfigureAwait(false);
        return node.Traffic.BytesIn + node.Traffic.BytesOut - before;
    }

    public static IReadOnlyList<IdleRoundMedian> Median(IReadOnlyList<IdleRoundRun> runs) =>
        runs.GroupBy(r => r.Records).Select(g => new IdleRoundMedian(
            g.Key,
            Stats.Median(g.Select(r => (double)r.Bytes)),
            Stats.Median(g.Select(r => (double)r.BytesOut)),
            Stats.Median(g.Select(r => (double)r.BytesIn)),
            Stats.Median(g.Select(r => r.RoundMs)),
            Stats.Median(g.Select(r => (double)r.QuietBytes)))).ToList();

    private static void Progress(string message) => Console.Error.WriteLine($"i4c-bench mesh: {message}");
}
