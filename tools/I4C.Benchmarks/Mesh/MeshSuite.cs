using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using I4C.Benchmarks.Macro;
using I4C.Benchmarks.Shared;

namespace I4C.Benchmarks.Mesh;

/// <summary>The mesh benchmarks `i4c-bench mesh` can run.</summary>
public enum MeshBenchmark
{
    All,
    Dissemination,
    CatchUp,
    Idle,
    Memory,
}

/// <summary>Options of `i4c-bench mesh`.</summary>
public sealed record MeshBenchOptions
{
    public MeshBenchmark Benchmark { get; init; } = MeshBenchmark.All;

    /// <summary>Runs of each benchmark (idle: rounds per history size). Default 3.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Catch-up runs, when not <see cref="Runs"/> (each loads the history anew: minutes on a small machine).</summary>
    public int? CatchUpRuns { get; init; }

    /// <summary>Memory runs, when not <see cref="Runs"/>.</summary>
    public int? MemoryRuns { get; init; }

    /// <summary>Dissemination: nodes in the mesh. Default 16.</summary>
    public int Nodes { get; init; } = 16;

    /// <summary>Dissemination: records published and timed per run. Default 50.</summary>
    public int Messages { get; init; } = 50;

    /// <summary>Dissemination: time between two publishes. Default 200 ms.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Dissemination: the eager fan-outs measured, each with its own runs. Default 3 (the node's default) and 5.</summary>
    public IReadOnlyList<int> Fanouts { get; init; } = [3, 4];

    /// <summary>Dissemination: the anti-entropy interval; null = the node's default (2 s).</summary>
    public TimeSpan? AntiEntropyInterval { get; init; }

    /// <summary>Catch-up, idle and memory: records of history. Default 100,000.</summary>
    public int Records { get; init; } = 100_000;

    /// <summary>Catch-up: length of the Ed25519 baseline. Default 2.5 s.</summary>
    public TimeSpan BaselineDuration { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>Catch-up and memory: how long a catch-up (and the verify) may take before the run fails. Default 15 min.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Memory: the i4c-node.dll to run; null = next to i4c-bench.dll or in node/I4C.Node/bin/Release/net10.0.</summary>
    public string? NodeDll { get; init; }

    public bool Json { get; init; }
}

/// <summary>The JSON document `i4c-bench mesh --json` prints; a benchmark not run is null.</summary>
public sealed record MeshDocument(
    string Suite,
    string StartedUtc,
    int Runs,
    string LoadAverageAtStart,
    MachineInfo Machine,
    DisseminationSection? Dissemination,
    CatchUpSection? CatchUp,
    IdleSection? Idle,
    MemorySection? Memory);

public sealed record DisseminationSection(int Nodes, int TargetPeers, int Records, double IntervalMs, double AntiEntropyIntervalMs, double WallSeconds,
    IReadOnlyList<DisseminationRun> RunResults, IReadOnlyList<DisseminationMedian> Median);

public sealed record CatchUpSection(int Records, int PayloadBytes, int Runs, double WallSeconds, IReadOnlyList<CatchUpRun> RunResults, CatchUpMedian Median);

public sealed record IdleSection(double WallSeconds, IReadOnlyList<IdleRoundRun> RunResults, IReadOnlyList<IdleRoundMedian> Median);

public sealed record MemorySection(string NodeDll, int Runs, double WallSeconds, IReadOnlyList<MemoryRun> RunResults, MemoryMedian Median);

/// <summary>
/// `i4c-bench mesh`: replication measured on real nodes. dissemination (latency and duplicates of
/// eager push over a 16-node mesh), catchup (a new member fetching 100,000 records, against the
/// machine's Ed25519 verification rate), idle (bytes of one anti-entropy round between nodes in
/// sync) and memory (peak RSS of the real node process serving 100,000 records). Every node
/// started is stopped and every temporary directory deleted on every exit path.
/// </summary>
public static class MeshSuite
{
    public static async Task<int> RunAsync(MeshBenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var all = options.Benchmark == MeshBenchmark.All;
        string? nodeDll = null;
        if (all || options.Benchmark == MeshBenchmark.Memory)
        {
            nodeDll = options.NodeDll ?? MacroSuite.FindNodeDll();
            if (nodeDll is null || !File.Exists(nodeDll))
            {
                await Console.Error.WriteLineAsync(
                    "i4c-bench: i4c-node.dll not found next to i4c-bench.dll nor in node/I4C.Node/bin/Release/net10.0. "
                    + "Build it (dotnet build -c Release node/I4C.Node) or pass --node PATH.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = MachineInfo.LoadAverageNow();

        DisseminationSection? dissemination = null;
        if (all || options.Benchmark == MeshBenchmark.Dissemination)
        {
            var clock = Stopwatch.StartNew();
            var runs = new List<DisseminationRun>();
            foreach (var fanout in options.Fanouts)
            {
                for (var run = 1; run <= options.Runs; run++)
                {
                    Progress($"dissemination: fan-out {fanout}, run {run}/{options.Runs}: {options.Nodes} nodes, {options.Messages} records…");
                    var result = await Dissemination.RunAsync(run, fanout, options, cancellationToken).ConfigureAwait(false);
                    runs.Add(result);
                    Progress($"  p50 {result.LatencyP50Ms:0.0} ms, p99 {result.LatencyP99Ms:0.0} ms, {result.DuplicatesPerDelivery:0.00} duplicates per delivery, links {result.MinLinks}–{result.MaxLinks} (setup {result.SetupSeconds:0} s)");
                }
            }
            var medians = options.Fanouts.Select(f => Dissemination.Median(f, runs.Where(r => r.EagerFanout == f).ToList())).ToList();
            dissemination = new DisseminationSection(options.Nodes, Dissemination.TargetPeers, options.Messages, options.Interval.TotalMilliseconds,
                (options.AntiEntropyInterval ?? new I4C.Node.Mesh.MeshOptions().AntiEntropyInterval).TotalMilliseconds, clock.Elapsed.TotalSeconds, runs, medians);
        }

        CatchUpSection? catchUp = null;
        if (all || options.Benchmark == MeshBenchmark.CatchUp)
        {
            var clock = Stopwatch.StartNew();
            var runs = new List<CatchUpRun>();
            var count = options.CatchUpRuns ?? options.Runs;
            for (var run = 1; run <= count; run++)
            {
                Progress($"catchup: run {run}/{count}: loading {options.Records:N0} records on node A…");
                var result = await CatchUp.RunAsync(run, options, cancellationToken).ConfigureAwait(false);
                runs.Add(result);
                Progress($"  {result.RecordsPerSecond:N0} records/s ({result.Seconds:0.0} s), baseline {result.VerifyBeforePerSecond:N0} before and {result.VerifyAfterPerSecond:N0} after (verify/s), ratio {result.Ratio:0.000}");
            }
            catchUp = new CatchUpSection(options.Records, Samples.PayloadBytes, count, clock.Elapsed.TotalSeconds, runs, CatchUp.Median(runs));
        }

        IdleSection? idle = null;
        if (all || options.Benchmark == MeshBenchmark.Idle)
        {
            var clock = Stopwatch.StartNew();
            Progress("idle: two founders in sync, anti-entropy interval 1 h…");
            var runs = await IdleRound.RunAsync(options, cancellationToken).ConfigureAwait(false);
            idle = new IdleSection(clock.Elapsed.TotalSeconds, runs, IdleRound.Median(runs));
        }

        MemorySection? memory = null;
        if (all || options.Benchmark == MeshBenchmark.Memory)
        {
            var clock = Stopwatch.StartNew();
            var runs = new List<MemoryRun>();
            var count = options.MemoryRuns ?? options.Runs;
            for (var run = 1; run <= count; run++)
            {
                Progress($"memory: run {run}/{count}: preparing a data directory with {options.Records:N0} records…");
                var result = await Memory.RunAsync(run, nodeDll!, options, cancellationToken).ConfigureAwait(false);
                runs.Add(result);
                Progress($"  peak RSS {Mib(result.PeakAfterCatchUpMiB)} MiB after serving the catch-up, {Mib(result.PeakAfterVerifyMiB)} MiB after verify");
            }
            memory = new MemorySection(nodeDll!, count, clock.Elapsed.TotalSeconds, runs, Memory.Median(runs));
        }

        var document = new MeshDocument("mesh", started.ToString("O", CultureInfo.InvariantCulture), options.Runs, loadAtStart, MachineInfo.Current(),
            dissemination, catchUp, idle, memory);
        Console.Out.WriteLine(options.Json ? JsonSerializer.Serialize(document, JsonOutput.Options) : Render(document));
        return ExitCodes.Ok;
    }

    private static string Render(MeshDocument d)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"i4c-bench mesh: {d.Runs} run(s) each");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"machine: {d.Machine.Cpu}, {d.Machine.Cores} cores, {d.Machine.Runtime}, temp dir {d.Machine.TempDirectory} ({d.Machine.TempFileSystem}); load average at start {d.LoadAverageAtStart}, at end {d.Machine.LoadAverage}");

        if (d.Dissemination is { } s)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"dissemination: {s.Nodes} in-process nodes (TargetPeers {s.TargetPeers}), {s.Records} records of {Samples.PayloadBytes} B, one every {s.IntervalMs:0} ms from a random node; anti-entropy every {s.AntiEntropyIntervalMs:0} ms; {s.WallSeconds:0} s wall");
            var rows = new List<string[]>();
            foreach (var m in s.Median)
            {
                foreach (var r in s.RunResults.Where(r => r.EagerFanout == m.EagerFanout))
                {
                    rows.Add([r.Run.ToString(CultureInfo.InvariantCulture), F(r.EagerFanout), Ms(r.LatencyP50Ms), Ms(r.LatencyP99Ms), Ms(r.PublishP50Ms), Ms(r.FirstDeliveryP50Ms), r.DuplicatesPerDelivery.ToString("0.00", CultureInfo.InvariantCulture),
                        $"{r.Duplicates:N0} / {r.Deliveries:N0}", $"{r.MinLinks}–{r.MaxLinks} ({r.MeanLinks:0.0})"]);
                }
                rows.Add(["MEDIAN", F(m.EagerFanout), Ms(m.LatencyP50Ms), Ms(m.LatencyP99Ms), Ms(m.PublishP50Ms), Ms(m.FirstDeliveryP50Ms), m.DuplicatesPerDelivery.ToString("0.00", CultureInfo.InvariantCulture), "", $"({m.MeanLinks:0.0})"]);
            }
            text.AppendLine(Table.Render(["run", "eager fan-out", "p50 ms", "p99 ms", "publish p50 ms", "first node p50 ms", "dup/delivery", "duplicates / deliveries", "links min–max (mean)"], rows));
            text.AppendLine("latency: publish call to the last other node's RecordsStored, per record; p50/p99 over the run's records (nearest rank: with 50 records p99 is the slowest).");
            text.AppendLine("publish p50: the PublishAsync call itself (sign, validate, durable commit, eager push); first node p50: until the first other node stored the record.");
            text.AppendLine("goal (issue): p50 ≤ 30 ms, p99 ≤ 80 ms, < 4–5 duplicates per delivery (js-libp2p gossipsub: p50 30–35 ms, p99 71–86 ms, 4–5 duplicates).");
        }

        if (d.CatchUp is { } c)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"catchup: node B (empty) links to node A holding {c.Records:N0} records of {c.PayloadBytes} B and stores them all through its normal path; {c.Runs} run(s), {c.WallSeconds:0} s wall");
            var rows = c.RunResults.Select(r => new[]
            {
                r.Run.ToString(CultureInfo.InvariantCulture), $"{r.Records:N0}", r.LinkSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                r.Seconds.ToString("0.0", CultureInfo.InvariantCulture), $"{r.RecordsPerSecond:N0}", $"{r.VerifyBeforePerSecond:N0}", $"{r.VerifyAfterPerSecond:N0}",
                r.Ratio.ToString("0.000", CultureInfo.InvariantCulture), r.RatioToBefore.ToString("0.000", CultureInfo.InvariantCulture), r.CpuMsPerRecord.ToString("0.000", CultureInfo.InvariantCulture), $"{r.Duplicates:N0}",
                r.JitMs.ToString("0", CultureInfo.InvariantCulture), r.GcPauseMs.ToString("0", CultureInfo.InvariantCulture),
                (r.AllocatedBytesPerRecord / 1024).ToString("0.00", CultureInfo.InvariantCulture),
            }).ToList();
            var m = c.Median;
            rows.Add(["MEDIAN", "", "", m.Seconds.ToString("0.0", CultureInfo.InvariantCulture), $"{m.RecordsPerSecond:N0}", "", "",
                m.Ratio.ToString("0.000", CultureInfo.InvariantCulture), m.RatioToBefore.ToString("0.000", CultureInfo.InvariantCulture), m.CpuMsPerRecord.ToString("0.000", CultureInfo.InvariantCulture), "", "", "", ""]);
            text.AppendLine(Table.Render(["run", "records", "link s", "catch-up s", "records/s", "verify/s before", "verify/s after", "÷ verify", "÷ before", "CPU ms/rec", "duplicates", "JIT ms", "GC pause ms", "KiB alloc/rec"], rows));
            text.AppendLine("catch-up s: from just before B adopts the charter (and starts dialing) until B stored A's last record; link s: until B's link was up.");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"baseline: Ed25519 verifications/s of distinct signed {VerifyBaseline.MessageBytes} B messages (NSec) on all cores, one worker per core, median of {VerifyBaseline.Slices} slices, measured just before the catch-up and again just after it; ÷ verify: records/s ÷ the mean of the two; ÷ before: records/s ÷ the rate before only; CPU ms/rec: this process (both nodes) during the catch-up; JIT ms: time the runtime spent compiling methods meanwhile (JitInfo), GC pause ms: time it paused for collections; KiB alloc/rec: managed memory allocated per record (both nodes). Goal: ÷ verify ≥ 0.60.");
        }

        if (d.Idle is { } i)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"idle: one anti-entropy round between two founders in sync, on the dialer's connection (TLS bytes); {i.WallSeconds:0} s wall");
            var rows = i.RunResults.Select(r => new[]
            {
                $"{r.Records:N0}", r.Run.ToString(CultureInfo.InvariantCulture), $"{r.Bytes:N0}", $"{r.BytesOut:N0}", $"{r.BytesIn:N0}",
                r.RoundMs.ToString("0.0", CultureInfo.InvariantCulture), $"{r.QuietBytes:N0}",
            }).ToList();
            foreach (var m in i.Median)
            {
                rows.Add([$"{m.Records:N0}", "MEDIAN", $"{m.Bytes:N0}", $"{m.BytesOut:N0}", $"{m.BytesIn:N0}", m.RoundMs.ToString("0.0", CultureInfo.InvariantCulture), $"{m.QuietBytes:N0}"]);
            }
            text.AppendLine(Table.Render(["records", "round", "bytes", "out", "in", "round ms", "quiet bytes"], rows));
            text.AppendLine("bytes: the dialer's TrafficCounter (in + out) from just before StartRound until 250 ms after it completed; quiet bytes: the same window without a round. Goal: < 1 KiB, same order at both sizes.");
        }

        if (d.Memory is { } mem)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"memory: the real node process ({mem.NodeDll}) on a data directory holding the history; {mem.Runs} run(s), {mem.WallSeconds:0} s wall");
            var rows = mem.RunResults.Select(r => new[]
            {
                r.Run.ToString(CultureInfo.InvariantCulture), $"{r.Records:N0}", r.StartupSeconds.ToString("0.0", CultureInfo.InvariantCulture), Mib(r.RssAfterStartMiB),
                r.CatchUpSeconds.ToString("0.0", CultureInfo.InvariantCulture), Mib(r.PeakAfterCatchUpMiB), r.VerifySeconds.ToString("0.0", CultureInfo.InvariantCulture), Mib(r.PeakAfterVerifyMiB),
            }).ToList();
            var m = mem.Median;
            rows.Add(["MEDIAN", "", "", Mib(m.RssAfterStartMiB), m.CatchUpSeconds.ToString("0.0", CultureInfo.InvariantCulture), Mib(m.PeakAfterCatchUpMiB),
                m.VerifySeconds.ToString("0.0", CultureInfo.InvariantCulture), Mib(m.PeakAfterVerifyMiB)]);
            text.AppendLine(Table.Render(["run", "records", "startup s", "RSS after start MiB", "serve catch-up s", "peak RSS after catch-up MiB", "verify s", "peak RSS after verify MiB"], rows));
            text.AppendLine("RSS: VmRSS and VmHWM (peak) of the node process from /proc; the catch-up is served to an in-process member, then Admin.Verify re-verifies every record.");
        }
        return text.ToString().TrimEnd();
    }

    private static string F(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Mib(double? mib) => mib?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a";

    private static void Progress(string message) =>
        // Progress goes to stderr so that --json leaves stdout to the JSON document.
        Console.Error.WriteLine($"i4c-bench mesh: {message}");
}
