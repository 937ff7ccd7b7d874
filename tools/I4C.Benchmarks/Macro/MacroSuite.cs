using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using I4C.Benchmarks.Shared;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Benchmarks.Macro;

/// <summary>Options of `i4c-bench macro`.</summary>
public sealed record MacroOptions
{
    /// <summary>Records published and timed per run. Default 10,000.</summary>
    public int Records { get; init; } = 10_000;

    /// <summary>Runs, each on a fresh node and data directory. Default 3.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Concurrent Admin API callers. Default 4.</summary>
    public int Callers { get; init; } = 4;

    /// <summary>Untimed publishes before the timed ones, so JIT and connection set-up are not measured. Default 200.</summary>
    public int Warmup { get; init; } = 200;

    /// <summary>Seconds each baseline measurement runs. Default 2.</summary>
    public double BaselineSeconds { get; init; } = 2;

    /// <summary>The i4c-node.dll to run; null = find it next to i4c-bench.dll or in node/I4C.Node/bin/Release/net10.0.</summary>
    public string? NodeDll { get; init; }

    public bool Json { get; init; }
}

/// <summary>One run: a fresh node, <see cref="MacroOptions.Records"/> timed publishes, and the in-run baseline.</summary>
public sealed record MacroRun(
    int Run,
    int Records,
    double Seconds,
    double RecordsPerSecond,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double? PeakRssMiB,
    double StartupSeconds,
    long StoredRecords,
    long NodeLogLines,
    double NodeCpuMsPerRecord,
    double HarnessCpuMsPerRecord,
    BaselineResult Baseline)
{
    /// <summary>records/s ÷ Ed25519 sign+verify pairs/s: the share of the raw crypto rate the node achieves.</summary>
    public double RatioToEd25519 => RecordsPerSecond / Baseline.Ed25519SignVerifyPerSecond;

    /// <summary>records/s ÷ durable SQLite inserts/s: the share of the raw commit rate the node achieves.</summary>
    public double RatioToSqlite => RecordsPerSecond / Baseline.SqliteDurableInsertsPerSecond;
}

/// <summary>The JSON document `i4c-bench macro --json` prints.</summary>
public sealed record MacroDocument(
    string Suite,
    string StartedUtc,
    int Records,
    int Runs,
    int Callers,
    int Warmup,
    int PayloadBytes,
    string NodeDll,
    string LoadAverageAtStart,
    MachineInfo Machine,
    IReadOnlyList<MacroRun> RunResults,
    MacroMedian Median);

/// <summary>The median of each column over the runs (each column on its own).</summary>
public sealed record MacroMedian(
    double RecordsPerSecond,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double? PeakRssMiB,
    double StartupSeconds,
    double NodeCpuMsPerRecord,
    double Ed25519SignVerifyPerSecond,
    double SqliteDurableInsertsPerSecond,
    double SqliteBatchedInsertsPerSecond,
    double RatioToEd25519,
    double RatioToSqlite);

/// <summary>
/// Starts the real node (`dotnet i4c-node.dll`) as a separate process per run, publishes N
/// 1 KiB advisories through the Admin gRPC API from a few concurrent callers, and reports
/// records/s, latency, the node's peak RSS and the ratio to a baseline measured in the same
/// run. The node is killed and its temporary directory deleted on every exit path.
/// </summary>
public static class MacroSuite
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(MacroOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var nodeDll = options.NodeDll ?? FindNodeDll();
        if (nodeDll is null || !File.Exists(nodeDll))
        {
            await Console.Error.WriteLineAsync(
                "i4c-bench: i4c-node.dll not found next to i4c-bench.dll nor in node/I4C.Node/bin/Release/net10.0. "
                + "Build it (dotnet build -c Release node/I4C.Node) or pass --node PATH.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = MachineInfo.LoadAverageNow();
        var runs = new List<MacroRun>();
        for (var run = 1; run <= options.Runs; run++)
        {
            Progress($"run {run}/{options.Runs}: baseline ({options.BaselineSeconds:0.#} s each for Ed25519 and SQLite)…");
            var baseline = BaselineResult.Measure(TimeSpan.FromSeconds(options.BaselineSeconds), cancellationToken);
            Progress($"run {run}/{options.Runs}: starting {nodeDll}…");
            runs.Add(await RunOnceAsync(run, nodeDll, baseline, options, cancellationToken).ConfigureAwait(false));
            var last = runs[^1];
            Progress($"run {run}/{options.Runs}: {last.RecordsPerSecond:0} records/s, peak RSS {Mib(last.PeakRssMiB)} MiB");
        }

        var median = new MacroMedian(
            Median(runs.Select(r => r.RecordsPerSecond)),
            Median(runs.Select(r => r.LatencyP50Ms)),
            Median(runs.Select(r => r.LatencyP99Ms)),
            runs.All(r => r.PeakRssMiB is not null) ? Median(runs.Select(r => r.PeakRssMiB!.Value)) : null,
            Median(runs.Select(r => r.StartupSeconds)),
            Median(runs.Select(r => r.NodeCpuMsPerRecord)),
            Median(runs.Select(r => r.Baseline.Ed25519SignVerifyPerSecond)),
            Median(runs.Select(r => r.Baseline.SqliteDurableInsertsPerSecond)),
            Median(runs.Select(r => r.Baseline.SqliteBatchedInsertsPerSecond)),
            Median(runs.Select(r => r.RatioToEd25519)),
            Median(runs.Select(r => r.RatioToSqlite)));
        var document = new MacroDocument("macro", started.ToString("O", CultureInfo.InvariantCulture), options.Records, options.Runs,
            options.Callers, options.Warmup, Samples.PayloadBytes, nodeDll, loadAtStart, MachineInfo.Current(), runs, median);

        if (options.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(document, JsonOutput.Options));
        }
        else
        {
            Console.Out.WriteLine(Render(document));
        }
        return ExitCodes.Ok;
    }

    private static async Task<MacroRun> RunOnceAsync(int run, string nodeDll, BaselineResult baseline, MacroOptions options, CancellationToken cancellationToken)
    {
        var startClock = Stopwatch.StartNew();
        await using var node = NodeProcess.Start(nodeDll);
        var endpoint = await node.WaitForEndpointAsync(StartupTimeout, cancellationToken).ConfigureAwait(false);
        var startup = startClock.Elapsed.TotalSeconds;
        var token = node.Data.ReadAdminToken();

        using var channel = GrpcChannel.ForAddress(endpoint.Admin, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        var client = new Admin.AdminClient(channel);
        var requests = Enumerable.Range(0, 16).Select(i => new PublishRequest { Tlp = Tlp.Green, Advisory = Samples.Advisory(i) }).ToArray();

        try
        {
            await PublishAsync(client, requests, options.Warmup, options.Callers, cancellationToken).ConfigureAwait(false);
            var nodeCpu = node.CpuTime();
            var harnessCpu = Environment.CpuUsage.TotalTime;
            var clock = Stopwatch.StartNew();
            var latencies = await PublishAsync(client, requests, options.Records, options.Callers, cancellationToken).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            nodeCpu = node.CpuTime() - nodeCpu;
            harnessCpu = Environment.CpuUsage.TotalTime - harnessCpu;

            var peak = node.PeakRssBytes();
            var status = await client.GetStatusAsync(new StatusRequest(), Deadline(cancellationToken)).ConfigureAwait(false);
            var expected = (ulong)(options.Warmup + options.Records);
            if (status.TotalRecords != expected)
            {
                throw new MacroException($"the node reports {status.TotalRecords} stored records after {expected} acknowledged publishes.");
            }
            Array.Sort(latencies);
            return new MacroRun(run, options.Records, seconds, options.Records / seconds,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                peak is { } bytes ? bytes / (1024.0 * 1024.0) : null,
                startup, (long)status.TotalRecords, node.LineCount,
                nodeCpu.TotalMilliseconds / options.Records, harnessCpu.TotalMilliseconds / options.Records, baseline);
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new MacroException($"run {run}: the Admin API failed: {ex.Status.StatusCode}: {ex.Status.Detail}\n{node.Tail()}");
        }
    }

    /// <summary>Publishes <paramref name="count"/> records from <paramref name="callers"/> concurrent callers; returns each call's latency in ms.</summary>
    private static async Task<double[]> PublishAsync(Admin.AdminClient client, PublishRequest[] requests, int count, int callers, CancellationToken cancellationToken)
    {
        var latencies = new double[count];
        var next = -1;
        // The first failing caller stops the others, so a broken node fails the run at once.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task Caller()
        {
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    var started = Stopwatch.GetTimestamp();
                    await client.PublishAsync(requests[i % requests.Length], Deadline(failed.Token)).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
        var tasks = Enumerable.Range(0, callers).Select(_ => Task.Run(Caller, cancellationToken)).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            // Report the first real failure, not a sibling's "Cancelled" caused by it.
            var cause = tasks.Select(t => t.Exception?.InnerException).OfType<RpcException>()
                .FirstOrDefault(e => e.StatusCode != StatusCode.Cancelled);
            if (cause is null)
            {
                throw;
            }
            throw cause;
        }
        return latencies;
    }

    private static CallOptions Deadline(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken);

    /// <summary>i4c-node.dll next to i4c-bench.dll (the project reference puts it there), else in the repository's Release output.</summary>
    public static string? FindNodeDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "i4c-node.dll");
        if (File.Exists(beside))
        {
            return beside;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node", "I4C.Node", "bin", "Release", "net10.0", "i4c-node.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static string Render(MacroDocument d)
    {
        static string[] Row(string label, int? records, double? seconds, double rate, double p50, double p99, double? rss, double startup,
            double cpu, double ed, double sqlite, double ratioEd, double ratioSqlite) =>
        [
            label,
            records?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
            seconds?.ToString("0.00", CultureInfo.InvariantCulture) ?? "",
            rate.ToString("N0", CultureInfo.InvariantCulture),
            p50.ToString("0.00", CultureInfo.InvariantCulture),
            p99.ToString("0.00", CultureInfo.InvariantCulture),
            Mib(rss),
            startup.ToString("0.00", CultureInfo.InvariantCulture),
            cpu.ToString("0.00", CultureInfo.InvariantCulture),
            ed.ToString("N0", CultureInfo.InvariantCulture),
            sqlite.ToString("N0", CultureInfo.InvariantCulture),
            ratioEd.ToString("0.000", CultureInfo.InvariantCulture),
            ratioSqlite.ToString("0.000", CultureInfo.InvariantCulture),
        ];

        var rows = d.RunResults.Select(r => Row(r.Run.ToString(CultureInfo.InvariantCulture), r.Records, r.Seconds, r.RecordsPerSecond,
            r.LatencyP50Ms, r.LatencyP99Ms, r.PeakRssMiB, r.StartupSeconds, r.NodeCpuMsPerRecord, r.Baseline.Ed25519SignVerifyPerSecond,
            r.Baseline.SqliteDurableInsertsPerSecond, r.RatioToEd25519, r.RatioToSqlite)).ToList();
        var m = d.Median;
        rows.Add(Row("MEDIAN", null, null, m.RecordsPerSecond, m.LatencyP50Ms, m.LatencyP99Ms, m.PeakRssMiB, m.StartupSeconds, m.NodeCpuMsPerRecord,
            m.Ed25519SignVerifyPerSecond, m.SqliteDurableInsertsPerSecond, m.RatioToEd25519, m.RatioToSqlite));

        var first = d.RunResults[0].Baseline;
        return string.Join('\n',
            $"i4c-bench macro: {d.Records:N0} x {d.PayloadBytes} B advisories per run via Admin.Publish, {d.Callers} callers, {d.Warmup} untimed warm-up publishes, {d.Runs} run(s)",
            $"node: {d.NodeDll}",
            $"machine: {d.Machine.Cpu}, {d.Machine.Cores} cores, {d.Machine.Runtime}, temp dir {d.Machine.TempDirectory} ({d.Machine.TempFileSystem}); load average at start {d.LoadAverageAtStart}, at end {d.Machine.LoadAverage}",
            string.Empty,
            Table.Render(
                ["run", "records", "seconds", "records/s", "p50 ms", "p99 ms", "peak RSS MiB", "startup s", "node CPU ms/rec", "Ed25519 s+v/s", "SQLite commits/s", "÷ Ed25519", "÷ SQLite"],
                rows),
            string.Empty,
            $"baseline: Ed25519 = sign+verify pairs/s on one thread ({first.SignedMessageBytes} B message, NSec); "
            + "SQLite = 1 KiB rows/s, one transaction each (WAL, synchronous=FULL, the node's pragmas), in the temp dir; "
            + $"each the median of {BaselineResult.Slices} time slices.",
            $"SQLite with 1,000 rows per transaction (context): median {m.SqliteBatchedInsertsPerSecond:N0} rows/s.",
            "÷ columns: records/s divided by that baseline (higher is better; compare these across machines).",
            "node CPU ms/rec: CPU time (user+system, all threads) the node used during the timed publishes, per record.");
    }

    private static string Mib(double? mib) => mib?.ToString("0.0", CultureInfo.InvariantCulture) ?? "n/a";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void Progress(string message) =>
        // Progress goes to stderr so that --json leaves stdout to the JSON document.
        Console.Error.WriteLine($"i4c-bench macro: {message}");
}
