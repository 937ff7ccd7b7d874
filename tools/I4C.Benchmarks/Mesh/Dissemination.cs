using System.Collections.Concurrent;
using System.Diagnostics;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Mesh;

namespace I4C.Benchmarks.Mesh;

/// <summary>One dissemination run: a fresh mesh of <see cref="Nodes"/> nodes, <see cref="Records"/> records published and timed.</summary>
public sealed record DisseminationRun(
    int Run,
    int EagerFanout,
    int Nodes,
    int Records,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double PublishP50Ms,
    double FirstDeliveryP50Ms,
    double DuplicatesPerDelivery,
    long Duplicates,
    long Deliveries,
    int MinLinks,
    int MaxLinks,
    double MeanLinks,
    double SetupSeconds,
    IReadOnlyList<double> LatenciesMs);

/// <summary>The median of each column over the runs of one fan-out.</summary>
public sealed record DisseminationMedian(int EagerFanout, double LatencyP50Ms, double LatencyP99Ms, double PublishP50Ms, double FirstDeliveryP50Ms, double DuplicatesPerDelivery, double MeanLinks);

/// <summary>
/// Eager push and lazy announcement over a real mesh: <c>nodes</c> in-process nodes (TargetPeers 5,
/// the connection manager builds the graph), then one ~1 KiB record every <c>interval</c> from a
/// random node. Per record: from just before <see cref="Node.Hosting.LocalNode.PublishAsync"/>
/// until the last other node has stored it (its <see cref="SyncEngine.RecordsStored"/> event).
/// Duplicates per delivery: the growth of the sum of <see cref="SyncEngine.Duplicates"/> over
/// the nodes during the publishing (and one second after the last delivery, for late copies),
/// divided by records × (nodes − 1).
/// </summary>
internal static class Dissemination
{
    public const int TargetPeers = 5;
    public const int MinLinks = 4;
    private static readonly TimeSpan LinkTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LateCopies = TimeSpan.FromSeconds(1);

    public static async Task<DisseminationRun> RunAsync(int run, int fanout, MeshBenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var setup = Stopwatch.StartNew();
        var tunables = new MeshOptions
        {
            TargetPeers = TargetPeers,
            EagerFanout = fanout,
            AntiEntropyInterval = options.AntiEntropyInterval ?? new MeshOptions().AntiEntropyInterval,
        };
        await using var mesh = await LocalMesh.StartAsync(options.Nodes, tunables, cancellationToken).ConfigureAwait(false);
        var all = Enumerable.Range(0, options.Nodes).ToList();
        await mesh.FoundAsync(all, cancellationToken).ConfigureAwait(false);
        if (!await Stats.UntilAsync(() => mesh.Nodes.All(n => n.Sync.Links.Count >= MinLinks), LinkTimeout, TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false))
        {
            Progress($"  not every node reached {MinLinks} links within {LinkTimeout.TotalSeconds:0} s; measuring anyway: {mesh.Describe()}");
        }
        if (!await Stats.UntilAsync(mesh.HeadsAgree, LinkTimeout, TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false))
        {
            throw new MeshBenchmarkException($"dissemination run {run}: the founded mesh did not converge within {LinkTimeout.TotalSeconds:0} s: {mesh.Describe()}\n{mesh.Warnings.Tail()}");
        }
        var links = mesh.Nodes.Select(n => n.Sync.Links.Count).ToArray();
        var setupSeconds = setup.Elapsed.TotalSeconds;

        // Arrival times per record id and node index (0 = not yet).
        var arrivals = new ConcurrentDictionary<RecordId, long[]>();
        var handlers = new List<(SyncEngine Engine, Action<IReadOnlyList<ValidatedRecord>, NodeId> Handler)>();
        foreach (var node in mesh.Nodes)
        {
            var index = node.Index;
            void OnStored(IReadOnlyList<ValidatedRecord> records, NodeId from)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var record in records)
                {
                    var times = arrivals.GetOrAdd(record.Id, _ => new long[options.Nodes]);
                    Interlocked.CompareExchange(ref times[index], now, 0);
                }
            }
            node.Sync.RecordsStored += OnStored;
            handlers.Add((node.Sync, OnStored));
        }
        try
        {
            var duplicatesBefore = mesh.Nodes.Sum(n => n.Sync.Duplicates);
            var random = new Random(20261125 + run);
            var publishes = new List<Task<(RecordId Id, int Publisher, long Started, long Returned)>>();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < options.Messages; i++)
            {
                var due = options.Interval * i - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
                var publisher = mesh[random.Next(options.Nodes)];
                publishes.Add(PublishAsync(publisher, i, cancellationToken));
            }
            var published = await Task.WhenAll(publishes).ConfigureAwait(false);

            bool Delivered((RecordId Id, int Publisher, long Started, long Returned) p) =>
                arrivals.TryGetValue(p.Id, out var times) && Enumerable.Range(0, options.Nodes).All(j => j == p.Publisher || Volatile.Read(ref times[j]) != 0);
            if (!await Stats.UntilAsync(() => published.All(Delivered), DeliveryTimeout, TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false))
            {
                var missing = published.Count(p => !Delivered(p));
                throw new MeshBenchmarkException($"dissemination run {run}: {missing} of {published.Length} records had not reached every node {DeliveryTimeout.TotalSeconds:0} s after the last publish: {mesh.Describe()}\n{mesh.Warnings.Tail()}");
            }
            await Task.Delay(LateCopies, cancellationToken).ConfigureAwait(false);
            var duplicates = mesh.Nodes.Sum(n => n.Sync.Duplicates) - duplicatesBefore;

            var inOrder = published.Select(p =>
            {
                var times = arrivals[p.Id];
                return Enumerable.Range(0, options.Nodes).Where(j => j != p.Publisher).Max(j => Stats.Ms(p.Started, times[j]));
            }).ToArray();
            var latencies = inOrder.Order().ToArray();
            var firstDeliveries = published.Select(p =>
            {
                var times = arrivals[p.Id];
                return Enumerable.Range(0, options.Nodes).Where(j => j != p.Publisher).Min(j => Stats.Ms(p.Started, times[j]));
            });
            var publishMs = published.Select(p => Stats.Ms(p.Started, p.Returned));
            var deliveries = (long)options.Messages * (options.Nodes - 1);
            return new DisseminationRun(run, fanout, options.Nodes, options.Messages,
                Stats.Percentile(latencies, 0.50), Stats.Percentile(latencies, 0.99), Stats.Median(publishMs), Stats.Median(firstDeliveries),
                (double)duplicates / deliveries, duplicates, deliveries,
                links.Min(), links.Max(), links.Average(), setupSeconds, inOrder.Select(l => Math.Round(l, 2)).ToArray());
        }
        finally
        {
            foreach (var (engine, handler) in handlers)
            {
                engine.RecordsStored -= handler;
            }
        }
    }

    private static async Task<(RecordId Id, int Publisher, long Started, long Returned)> PublishAsync(MeshNode publisher, int serial, CancellationToken cancellationToken)
    {
        var draft = Samples.Draft(serial);
        var started = Stopwatch.GetTimestamp();
        var record = await publisher.Node.PublishAsync(draft, cancellationToken).ConfigureAwait(false);
        return (record.Id, publisher.Index, started, Stopwatch.GetTimestamp());
    }

    public static DisseminationMedian Median(int fanout, IReadOnlyList<DisseminationRun> runs) => new(
        fanout,
        Stats.Median(runs.Select(r => r.LatencyP50Ms)),
        Stats.Median(runs.Select(r => r.LatencyP99Ms)),
        Stats.Median(runs.Select(r => r.PublishP50Ms)),
        Stats.Median(runs.Select(r => r.FirstDeliveryP50Ms)),
        Stats.Median(runs.Select(r => r.DuplicatesPerDelivery)),
        Stats.Median(runs.Select(r => r.MeanLinks)));

    private static void Progress(string message) => Console.Error.WriteLine($"i4c-bench mesh: {message}");
}
