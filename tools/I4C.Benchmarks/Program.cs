using System.Globalization;
using System.Runtime.InteropServices;
using I4C.Benchmarks.Macro;
using I4C.Benchmarks.Micro;
using I4C.Benchmarks.Shared;

namespace I4C.Benchmarks;

/// <summary>i4c-bench: `micro` (BenchmarkDotNet) or `macro` (a real node over the Admin API). See docs/benchmarks.md.</summary>
public static class Program
{
    public const string Usage = """
        Usage (from the repository root):
          dotnet run -c Release --project tools/I4C.Benchmarks -- micro [--json] [--filter PATTERN]
          dotnet run -c Release --project tools/I4C.Benchmarks -- macro [--records 10000] [--runs 3] [--json]
                     [--callers 4] [--warmup 200] [--baseline-seconds 2] [--node PATH/i4c-node.dll]

        micro   BenchmarkDotNet micro-benchmarks: Crypto (Sign, Verify, Validate), Storage
                (ValidateAndStoreBatch, StoreBatch, ReadById), Node (Publish). --filter takes a
                BenchmarkDotNet glob over Namespace.Class.Method, e.g. '*Crypto*' or '*ReadById'.
        macro   Starts the real i4c-node per run, publishes --records 1 KiB advisories over the
                Admin gRPC API from --callers concurrent callers, and reports records/s, latency,
                the node's peak RSS and ratios to an Ed25519 and SQLite baseline measured in the same run.
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
                _ => throw new UsageException($"unknown command '{args[0]}': use micro or macro."),
            };
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"i4c-bench: {ex.Message}\n\n{Usage}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    private static async Task<int> RunMacroAsync(MacroOptions options)
    {
        // Ctrl+C and SIGTERM cancel the run instead of killing this process, so that the
        // node is killed and the temporary directories deleted on the way out.
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"i4c-bench: {context.Signal}: stopping the node and cleaning up…");
            cancel.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        try
        {
            return await MacroSuite.RunAsync(options, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("i4c-bench: interrupted; the node was stopped and its data deleted.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Grpc.Core.RpcException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("i4c-bench: interrupted; the node was stopped and its data deleted.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (MacroException ex)
        {
            await Console.Error.WriteLineAsync($"i4c-bench macro: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            // Caught (not left unhandled) so that every `await using` and `finally` on the way
            // has run: the node is killed and the temporary directories are gone.
            await Console.Error.WriteLineAsync($"i4c-bench macro: failed: {ex}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
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
