using System.CommandLine;
using Grpc.Core;
using I4C.Storage;

namespace I4C.Cli;

/// <summary>The i4c command tree. <see cref="RunAsync"/> is the whole program, callable in-process by tests.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, Console.In, stdout, stderr, cancellationToken);

    /// <summary>The whole program with its standard input given (the interactive `i4c assess` reads it).</summary>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var globals = new GlobalOptions();
        var root = new RootCommand("i4c — operate a node of the I4C cyber-security mesh of European cities.");
        root.Options.Add(globals.Data);
        root.Options.Add(globals.Json);
        var context = new CliContext(globals, stdout, stderr) { In = stdin };
        IEnumerable<Command> commands = [
            .. Commands.Build(context), .. MeshCommands.Build(context), .. MaturityCommands.Build(context), .. InteropCommands.Build(context),
            .. OperationsCommands.Build(context), Pilot.PilotCommand.Build(context)];
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                // One line per error: System.CommandLine spreads some messages (e.g. the allowed values) over several.
                var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                await stderr.WriteLineAsync("i4c: " + message).ConfigureAwait(false);
            }
            await stderr.WriteLineAsync("Run 'i4c --help' (or 'i4c COMMAND --help') for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await stderr.WriteLineAsync("i4c: " + ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (RpcException ex)
        {
            var (code, message) = Map(ex);
            await stderr.WriteLineAsync("i4c: " + message).ConfigureAwait(false);
            return code;
        }
        catch (DataDirectoryException ex)
        {
            await stderr.WriteLineAsync("i4c: " + ex.Message).ConfigureAwait(false);
            return ExitCodes.DataDirectory;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("i4c: cancelled.").ConfigureAwait(false);
            return ExitCodes.Internal;
        }
    }

    private static (int, string) Map(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded =>
            (ExitCodes.NodeNotRunning, $"the node does not answer ({ex.Status.Detail}). Is it running? Check with: i4c status"),
        StatusCode.NotFound => (ExitCodes.NotFound, ex.Status.Detail),
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.ResourceExhausted => (ExitCodes.Refused, ex.Status.Detail),
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => (ExitCodes.Unauthorized, ex.Status.Detail),
        _ => (ExitCodes.Internal, $"the node failed: {ex.Status.StatusCode}: {ex.Status.Detail}"),
    };
}

/// <summary>Options every command takes.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "The node's data directory (default: $I4C_DATA, else $XDG_DATA_HOME/i4c, else ~/.local/share/i4c).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON for scripts instead of human tables.",
        Recursive = true,
    };
}

/// <summary>What a command's handler needs: parsed globals and where to write.</summary>
public sealed class CliContext(GlobalOptions globals, TextWriter stdout, TextWriter stderr)
{
    public GlobalOptions Globals { get; } = globals;
    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;

    /// <summary>Standard input (interactive commands read their answers from it).</summary>
    public TextReader In { get; init; } = Console.In;

    public DataDirectory DataFor(ParseResult parse) => new(parse.GetValue(Globals.Data) ?? DataDirectory.DefaultRoot());

    public bool Json(ParseResult parse) => parse.GetValue(Globals.Json);
}
