using I4C.Cli;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>What one run of the CLI produced.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stderr split into lines, without the trailing empty one.</summary>
    public IReadOnlyList<string> ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>Runs the whole <c>i4c</c> command line in-process through <see cref="CliApp.RunAsync"/>.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource(TestTimeouts.Default);
        var code = await CliApp.RunAsync(args, stdout, stderr, cancel.Token).WithTimeout().ConfigureAwait(false);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
