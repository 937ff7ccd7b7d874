using System.Diagnostics;
using System.Globalization;
using I4C.Storage;

namespace I4C.Benchmarks.Macro;

/// <summary>
/// A real i4c-node started as a separate process (`dotnet i4c-node.dll`), every listener on port
/// 0 and no I4C_* variables: on a fresh data directory it owns (<see cref="Start"/>; deleted on
/// dispose), or on one prepared by the caller (<see cref="StartOn"/>; left in place). Disposing
/// kills the process, whatever state the run is in. Its console output is drained (a full pipe
/// would stall the node's logger) and the last lines are kept for error messages.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private const int KeptLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly Lock _linesGate = new();
    private long _lineCount;
    private bool _disposed;

    private NodeProcess(Process process, string dataDirectory, string? workDirectory)
    {
        _process = process;
        WorkDirectory = workDirectory;
        Data = new DataDirectory(dataDirectory);
    }

    /// <summary>The temporary directory this run owns, with the data directory inside; deleted on dispose. Null for <see cref="StartOn"/>.</summary>
    public string? WorkDirectory { get; }

    /// <summary>The node's data directory; the node creates it (0700) on first start.</summary>
    public DataDirectory Data { get; }

    public int Pid => _process.Id;

    /// <summary>Lines the node wrote to stdout and stderr so far.</summary>
    public long LineCount => Interlocked.Read(ref _lineCount);

    /// <summary>Starts the node on a fresh data directory in a new temporary directory.</summary>
    public static NodeProcess Start(string nodeDll)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeDll);
        var workDirectory = Shared.Samples.TempDirectory("macro");
        try
        {
            // Benchmarks publish as fast as they can: measure the node, not the rate limit.
            return Launch(nodeDll, Path.Combine(workDirectory, "data"), workDirectory,
                ["--name", "Bench", "--country", "DE", "--category", "eu-city", "--max-records-per-minute", "1000000"]);
        }
        catch (MacroException)
        {
            Shared.Samples.DeleteDirectory(workDirectory);
            throw;
        }
    }

    /// <summary>Starts the node on a data directory the caller prepared (and keeps), with extra flags.</summary>
    public static NodeProcess StartOn(string nodeDll, string dataDirectory, params string[] extraArgs)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeDll);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        return Launch(nodeDll, dataDirectory, workDirectory: null, extraArgs);
    }

    private static NodeProcess Launch(string nodeDll, string dataDirectory, string? workDirectory, IEnumerable<string> extraArgs)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(nodeDll)!,
        };
        foreach (var arg in new[] { nodeDll, "--data", dataDirectory, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--udp", "0" }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }
        // The run must not pick up an operator's settings: only the flags above configure the node.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("I4C_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(process, dataDirectory, workDirectory);
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new MacroException($"could not start `dotnet` for the node process: {ex.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Polls DATA/admin.endpoint until the node has written it (the node is then serving), or fails.</summary>
    public async Task<NodeEndpoint> WaitForEndpointAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                // Also waits until the redirected output has been read to its end, so Tail() has it all.
                await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw new MacroException($"the node exited with code {_process.ExitCode} before it was ready.\n{Tail()}");
            }
            if (File.Exists(Data.EndpointPath) && Data.ReadEndpoint() is { } endpoint)
            {
                if (endpoint.Pid == _process.Id)
                {
                    return endpoint;
                }
                // In a fresh directory another process's endpoint is an error; in a prepared one it is
                // an earlier node's file, which this node replaces once it serves.
                if (WorkDirectory is not null)
                {
                    throw new MacroException($"{Data.EndpointPath} names process {endpoint.Pid}, but the node started is process {_process.Id}.");
                }
            }
            if (deadline.Elapsed > timeout)
            {
                throw new MacroException($"the node wrote no {DataDirectory.EndpointFileName} within {timeout.TotalSeconds:0} s.\n{Tail()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The process's peak resident set size (VmHWM in /proc/PID/status), in bytes; null where /proc is unavailable.</summary>
    public long? PeakRssBytes()
    {
        var status = $"/proc/{_process.Id}/status";
        if (_process.HasExited || !File.Exists(status))
        {
            return null;
        }
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }
        // "VmHWM:    123456 kB"
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib * 1024 : null;
    }

    /// <summary>CPU time (user + system) the node process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>The node's last lines of output, for error messages.</summary>
    public string Tail()
    {
        lock (_linesGate)
        {
            return _lastLines.Count == 0 ? "(the node wrote nothing)" : "node output (last lines):\n  " + string.Join("\n  ", _lastLines);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        Interlocked.Increment(ref _lineCount);
        lock (_linesGate)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptLines)
            {
                _lastLines.Dequeue();
            }
        }
    }

    /// <summary>Kills the node (and anything it started), waits for it, and deletes the temporary directory it owns.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing to kill.
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"i4c-bench: node process {_process.Id} did not exit within 10 s of SIGKILL.").ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
            if (WorkDirectory is not null)
            {
                Shared.Samples.DeleteDirectory(WorkDirectory);
            }
        }
    }
}

/// <summary>The macro run could not be done; the message says why.</summary>
public sealed class MacroException(string message) : Exception(message);
