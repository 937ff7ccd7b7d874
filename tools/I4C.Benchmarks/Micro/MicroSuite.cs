using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using I4C.Benchmarks.Crypto;
using I4C.Benchmarks.Node;
using I4C.Benchmarks.Shared;
using I4C.Benchmarks.Storage;

namespace I4C.Benchmarks.Micro;

/// <summary>Options of `i4c-bench micro`.</summary>
public sealed record MicroOptions(bool Json, string? Filter);

/// <summary>
/// Runs the BenchmarkDotNet micro-benchmarks (Crypto/, Storage/, Node/) with one short job,
/// prints BenchmarkDotNet's summary table and, with --json, a JSON summary on stdout.
/// </summary>
public static class MicroSuite
{
    /// <summary>Every micro-benchmark class, in the order they run and are reported.</summary>
    public static IReadOnlyList<Type> Benchmarks { get; } =
    [
        typeof(SignBenchmarks),
        typeof(VerifyBenchmarks),
        typeof(ValidateAndStoreBatchBenchmarks),
        typeof(ReadByIdBenchmarks),
        typeof(PublishBenchmarks),
    ];

    /// <summary>
    /// The one job: 1 launch, 4 warm-up and 15 measured iterations of about 500 ms each,
    /// in process; the batch benchmarks override the counts (one batch per iteration).
    /// The in-process toolchain skips BenchmarkDotNet's per-run project build (a Release
    /// build takes about a minute on two cores); the price is no process isolation
    /// between benchmarks.
    /// </summary>
    public static Job ShortJob { get; } = Job.Default
        .WithId("I4CShort")
        .WithLaunchCount(1)
        .WithWarmupCount(4)
        .WithIterationCount(15)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(500))
        .WithToolchain(InProcessEmitToolchain.Instance);

    public static int Run(MicroOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = DateTimeOffset.UtcNow;
        var artifacts = Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
        // With --json, stdout carries only the JSON; BenchmarkDotNet's log and table go to stderr.
        ILogger logger = options.Json ? new StandardErrorLogger() : ConsoleLogger.Default;
        var config = ManualConfig.CreateEmpty()
            .AddJob(ShortJob)
            .AddLogger(logger)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .HideColumns(Column.Namespace, Column.UnrollFactor)
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        if (options.Filter is { } pattern)
        {
            config = config.AddFilter(new GlobFilter([pattern]));
        }

        var summaries = BenchmarkRunner.Run(Benchmarks.ToArray(), config);
        var reports = summaries.SelectMany(s => s.Reports.Select(r => (Summary: s, Report: r))).ToList();
        if (reports.Count == 0)
        {
            Console.Error.WriteLine(options.Filter is null
                ? "i4c-bench: no benchmark ran."
                : $"i4c-bench: no benchmark matches --filter '{options.Filter}'. Names look like I4C.Benchmarks.Crypto.SignBenchmarks.Sign; try --filter '*Crypto*'.");
            return ExitCodes.Failure;
        }

        var results = reports.Select(x => Result(x.Report)).ToList();
        var failed = results.Where(r => r.Mean is null).Select(r => r.Name).ToList();
        var json = JsonSerializer.Serialize(new MicroDocument(
            Suite: "micro",
            StartedUtc: started.ToString("O", CultureInfo.InvariantCulture),
            Job: "I4CShort (in-process; 1 launch, 4 warm-up, 15 iterations of ~500 ms; batch: 3 warm-up, 20 iterations of one batch)",
            Machine: MachineInfo.Current(),
            Benchmarks: results), JsonOutput.Options);
        Directory.CreateDirectory(Path.Combine(artifacts, "results"));
        var jsonPath = Path.Combine(artifacts, "results", "i4c-micro.json");
        File.WriteAllText(jsonPath, json + "\n");

        if (options.Json)
        {
            Console.Out.WriteLine(json);
        }
        else
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine("i4c-bench micro: per-operation results (Batch rows are per record)");
            Console.Out.WriteLine(Table.Render(
                ["Benchmark", "Mean", "Median", "StdDev", "Allocated"],
                results.Select(r => new[] { r.Name, Time(r.Mean), Time(r.Median), Time(r.StdDev), Bytes(r.Allocated) }).ToList()));
            var machine = MachineInfo.Current();
            Console.Out.WriteLine($"machine: {machine.Cpu}, {machine.Cores} cores, {machine.Runtime}, temp dir {machine.TempDirectory} ({machine.TempFileSystem}); load average at end {machine.LoadAverage}");
            Console.Out.WriteLine($"JSON summary: {jsonPath}");
        }
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"i4c-bench: these benchmarks failed (see the log above): {string.Join(", ", failed)}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Ok;
    }

    private static MicroResult Result(BenchmarkReport report)
    {
        var benchmark = report.BenchmarkCase;
        var name = $"{benchmark.Descriptor.Type.Namespace?.Replace("I4C.Benchmarks.", string.Empty, StringComparison.Ordinal)}.{benchmark.Descriptor.WorkloadMethod.Name}";
        var stats = report.ResultStatistics;
        return new MicroResult(
            Name: name,
            Unit: "ns",
            Mean: stats?.Mean,
            Median: stats?.Median,
            StdDev: stats?.StandardDeviation,
            Allocated: report.GcStats.GetBytesAllocatedPerOperation(benchmark),
            OperationsPerInvoke: benchmark.Descriptor.OperationsPerInvoke);
    }

    private static string Time(double? nanoseconds) => nanoseconds switch
    {
        null => "failed",
        >= 1_000_000 => $"{nanoseconds / 1_000_000:0.000} ms",
        >= 1_000 => $"{nanoseconds / 1_000:0.00} us",
        _ => $"{nanoseconds:0.0} ns",
    };

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "-",
        >= 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.00} MiB",
        >= 1024 => $"{bytes / 1024.0:0.00} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>BenchmarkDotNet's console log, sent to standard error.</summary>
    private sealed class StandardErrorLogger : ILogger
    {
        public string Id => nameof(StandardErrorLogger);

        public int Priority => 0;

        public void Write(LogKind logKind, string text) => Console.Error.Write(text);

        public void WriteLine() => Console.Error.WriteLine();

        public void WriteLine(LogKind logKind, string text) => Console.Error.WriteLine(text);

        public void Flush() => Console.Error.Flush();
    }
}

/// <summary>One benchmark in the JSON summary. Times in nanoseconds per operation, allocation in bytes per operation.</summary>
public sealed record MicroResult(string Name, string Unit, double? Mean, double? Median, double? StdDev, long? Allocated, int OperationsPerInvoke);

/// <summary>The JSON document `i4c-bench micro --json` prints.</summary>
public sealed record MicroDocument(string Suite, string StartedUtc, string Job, MachineInfo Machine, IReadOnlyList<MicroResult> Benchmarks);
