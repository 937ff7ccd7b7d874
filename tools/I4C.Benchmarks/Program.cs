using System.Globalization;
using System.Runtime.InteropServices;
using I4C.Benchmarks.Macro;
using I4C.Benchmarks.Mesh;
using I4C.Benchmarks.Micro;
using I4C.Benchmarks.Shared;

namespace I4C.Benchmarks;

/// <summary>i4c-bench: `micro` (BenchmarkDotNet), `macro` (a real node over the Admin API) or `mesh` (replication between real nodes). See docs/benchmarks.md.</summary>
public static class Program
{
    public const string Usage = """
        Usage (from the repository root):
          dotnet run -c Release --project tools/I4C.Benchmarks -- micro [--json] [--filter PATTERN]
          dotnet run -c Release --project tools/I4C.Benchmarks -- macro [--records 10000] [--runs 3] [--json]
                     [--callers 4] [--warmup 200] [--baseline-seconds 2] [--node PATH/i4c-node.dll]
          dotnet run -c Release --project tools/I4C.Benchmarks -- mesh [dissemination|catchup|idle|memory|all] [--runs 3] [--json]
                     [--nodes 16] [--messages 50] [--interval-ms 200] [--fanout 3,4] [--anti-entropy-ms MS]
                     [--records 100000] [--catchup-runs N] [--memory-runs N] [--node PATH/i4c-node.dll]

        micro   BenchmarkDotNet micro-benchmarks: Crypto (Sign, Verify, Validate), Storage
                (ValidateAndStoreBatch, StoreBatch, ReadById), Node (Publish). --filter takes a
                BenchmarkDotNet glob over Namespace.Class.Method, e.g. '*Crypto*' or '*ReadById'.
        macro   Starts the real i4c-node per run, publishes --records 1 KiB advisories over the
                Admin gRPC API from --callers concurrent callers, and reports records/s, latency,
                the node's peak RSS and ratios to an Ed25519 and SQLite baseline measured in the same run.
        mesh    Replication between real nodes (default: all four): dissemination (latency p50/p99 and
                duplicates of 1 KiB records over 16 in-process nodes, per eager fan-out), catchup (a new
                member fetching --records records, ÷ the machine's Ed25519 verifications/s on all cores),
                idle (bytes of one anti-entropy round between nodes in sync, at 100 and --records records),
                memory (peak RSS of the real i4c-node process serving a catch-up of --records records).
        --json  JSON on stdout instead of the human table (progress and logs go to stderr).

        Exit codes: 0 done, 1 a benchmark or the node failed, 2 usage, 130 interrupted.
        """;

    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        try
        {
            return args[0] switch
            {
                "micro" => MicroSuite.Run(ParseMicro(args[1..])),
                "macro" => await RunMacroAsync(ParseMacro(args[1..])).ConfigureAwait(false),
                "mesh" => await RunMeshAsync(ParseMesh(args[1..])).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{args[0]}': use micro, macro or mesh."),
            };
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"i4c-bench: {ex.Message}\n\n{Usage}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    private static Task<int> RunMacroAsync(MacroOptions options) =>
        RunInterruptibleAsync("macro", "the node was stopped and its data deleted", ct => MacroSuite.RunAsync(options, ct));

    private static Task<int> RunMeshAsync(MeshBenchOptions options) =>
        RunInterruptibleAsync("mesh", "the nodes were stopped and their data deleted", ct => MeshSuite.RunAsync(options, ct));

    /// <summary>
    /// Runs a suite that starts nodes. Ctrl+C, SIGTERM and SIGHUP cancel the run instead of killing this process, so
    /// every node (in-process and node processes) is stopped and every temporary directory deleted on the way out;
    /// every failure is caught (not left unhandled) for the same reason, and reported on one line.
    /// </summary>
    private static async Task<int> RunInterruptibleAsync(string suite, string cleanedUp, Func<CancellationToken, Task<int>> run)
    {
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"i4c-bench: {context.Signal}: stopping and cleaning up…");
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        try
        {
            return await run(cancel.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancel.IsCancellationRequested && ex is OperationCanceledException or Grpc.Core.RpcException)
        {
            await Console.Error.WriteLineAsync($"i4c-bench: interrupted; {cleanedUp}.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is MacroException or MeshBenchmarkException)
        {
            await Console.Error.WriteLineAsync($"i4c-bench {suite}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"i4c-bench {suite}: failed: {ex}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static MeshBenchOptions ParseMesh(string[] args)
    {
        var options = new MeshBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "all" when i == 0 => options with { Benchmark = MeshBenchmark.All },
                "dissemination" when i == 0 => options with { Benchmark = MeshBenchmark.Dissemination },
                "catchup" when i == 0 => options with { Benchmark = MeshBenchmark.CatchUp },
                "idle" when i == 0 => options with { Benchmark = MeshBenchmark.Idle },
                "memory" when i == 0 => options with { Benchmark = MeshBenchmark.Memory },
                "--json" => options with { Json = true },
                "--runs" => options with { Runs = Count(args, ref i, min: 1) },
                "--catchup-runs" => options with { CatchUpRuns = Count(args, ref i, min: 1) },
                "--memory-runs" => options with { MemoryRuns = Count(args, ref i, min: 1) },
                "--nodes" => options with { Nodes = Count(args, ref i, min: 2) },
                "--messages" => options with { Messages = Count(args, ref i, min: 1) },
                "--interval-ms" => options with { Interval = TimeSpan.FromMilliseconds(Count(args, ref i, min: 1)) },
                "--fanout" => options with { Fanouts = Fanouts(args, ref i) },
                "--anti-entropy-ms" => options with { AntiEntropyInterval = TimeSpan.FromMilliseconds(Count(args, ref i, min: 1)) },
                "--records" => options with { Records = Count(args, ref i, min: 100) },
                "--node" => options with { NodeDll = Path.GetFullPath(Value(args, ref i)) },
                _ => throw new UsageException($"mesh: unknown benchmark or option '{args[i]}' (benchmarks: dissemination, catchup, idle, memory, all)."),
            };
        }
        return options;
    }

    private static int[] Fanouts(string[] args, ref int i)
    {
        var flag = args[i];
        var text = Value(args, ref i);
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : 0).ToArray();
        return values.Length > 0 && values.All(n => n > 0)
            ? values
            : throw new UsageException($"{flag} '{text}': give one or more whole numbers of at least 1, separated by commas (e.g. 3,5).");
    }

    private static MicroOptions ParseMicro(string[] args)
    {
        var json = false;
        string? filter = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--filter":
                    filter = Value(args, ref i);
                    break;
                default:
                    throw new UsageException($"micro: unknown option '{args[i]}'.");
            }
        }
        return new MicroOptions(json, filter);
    }

    private static MacroOptions ParseMacro(string[] args)
    {
        var options = new MacroOptions();
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--json" => options with { Json = true },
                "--records" => options with { Records = Count(args, ref i, min: 1) },
                "--runs" => options with { Runs = Count(args, ref i, min: 1) },
                "--callers" => options with { Callers = Count(args, ref i, min: 1) },
                "--warmup" => options with { Warmup = Count(args, ref i, min: 0) },
                "--baseline-seconds" => options with { BaselineSeconds = Seconds(args, ref i) },
                "--node" => options with { NodeDll = Path.GetFullPath(Value(args, ref i)) },
                _ => throw new UsageException($"macro: unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value.");

    private static int Count(string[] args, ref int i, int min)
    {
        var flag = args[i];
        var text = Value(args, ref i).Replace("_", string.Empty, StringComparison.Ordinal).Replace(",", string.Empty, StringComparison.Ordinal);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new UsageException($"{flag} '{args[i]}': give a whole number of at least {min}.");
    }

    private static double Seconds(string[] args, ref int i)
    {
        var flag = args[i];
        var text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s > 0
            ? s
            : throw new UsageException($"{flag} '{text}': give a number of seconds above 0.");
    }

    private sealed class UsageException(string message) : Exception(message);
}
