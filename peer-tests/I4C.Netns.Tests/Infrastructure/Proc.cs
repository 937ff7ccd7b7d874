using System.ComponentModel;
using System.Diagnostics;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>What one finished command produced.</summary>
public sealed record ProcResult(string Command, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Ok => ExitCode == 0;

    public override string ToString() =>
        $"`{Command}` exited {ExitCode} after {Elapsed.TotalSeconds:0.0} s; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>Runs short-lived commands (ip, the CLI) with a bound on their run time.</summary>
public static class Proc
{
    /// <summary>Runs <paramref name="file"/> to completion; SIGKILLs it and throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<ProcResult> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var info = StartInfo(file, args);
        var command = Describe(info);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot run `{command}`: {ex.Message}", ex);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TestTimeouts.Command);
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillQuietly(process);
            await process.WaitForExitAsync().ConfigureAwait(false);
            throw new TimeoutException($"`{command}` did not finish within {(timeout ?? TestTimeouts.Command).TotalSeconds:0} s and was killed; " +
                $"stdout: {(await stdout.ConfigureAwait(false)).Trim()}; stderr: {(await stderr.ConfigureAwait(false)).Trim()}");
        }
        return new ProcResult(command, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), clock.Elapsed);
    }

    /// <summary>The synchronous form, for cleanup paths that must also run from a process-exit handler.</summary>
    public static ProcResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var info = StartInfo(file, args);
        var command = Describe(info);
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TestTimeouts.Command))
        {
            KillQuietly(process);
            process.WaitForExit();
            return new ProcResult(command, -1, stdout.GetAwaiter().GetResult(), "timed out; " + stderr.GetAwaiter().GetResult(), clock.Elapsed);
        }
        process.WaitForExit();
        return new ProcResult(command, process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), clock.Elapsed);
    }

    /// <summary>A start description with redirected streams and without the test run's I4C_* variables.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The node and the CLI read I4C_* variables; the test run's own environment must not leak into them.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("I4C_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    public static string Describe(ProcessStartInfo info) =>
        string.Join(' ', new[] { info.FileName }.Concat(info.ArgumentList).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    /// <summary>SIGKILL to the process (and anything it started); nothing if it already exited.</summary>
    public static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited or never started.
        }
        catch (Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    /// <summary>The dotnet host that runs this test process, else the one on PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
