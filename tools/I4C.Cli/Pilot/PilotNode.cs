using System.Diagnostics;
using System.Globalization;
using I4C.Storage;

namespace I4C.Cli.Pilot;

/// <summary>
/// One city's node in the pilot: an <c>i4c-node</c> process on 127.0.0.1 with its own data directory. The first start
/// takes free ports from the OS; a restart reuses them, as a city's node keeps its address. The node's standard output
/// and error go to <c>logs/&lt;city&gt;.log</c>.
/// </summary>
internal sealed class PilotNode : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _nodeDll;
    private readonly string _logPath;
    private readonly Lock _logLock = new();
    private Process? _process;
    private StreamWriter? _log;
    private string _listen = "127.0.0.1:0";
    private string _udp = "0";

    public PilotNode(PilotCity city, string root, string nodeDll)
    {
        City = city;
        DataPath = Path.Combine(root, "nodes", city.Slug);
        Data = new DataDirectory(DataPath);
        _nodeDll = nodeDll;
        _logPath = Path.Combine(root, "logs", city.Slug + ".log");
    }

    public PilotCity City { get; }

    public string DataPath { get; }

    public DataDirectory Data { get; }

    /// <summary>The node id, known once the identity is created.</summary>
    public string NodeId { get; set; } = string.Empty;

    public bool Running => _process is { HasExited: false };

    public int? Pid => Running ? _process!.Id : null;

    /// <summary>Starts the node and returns once it has written admin.endpoint (it is then serving).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Running)
        {
            throw new InvalidOperationException($"{City.Short}'s node is already running");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(_logPath)!);
        _log ??= new StreamWriter(new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { _nodeDll, "--data", DataPath, "--listen", _listen, "--udp", _udp, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0" })
        {
            info.ArgumentList.Add(arg);
        }
        // The operator's own I4C_* settings are for their node, not for the pilot's.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("I4C_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => WriteLog(e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
        if (!process.Start())
        {
            throw new PilotException($"could not start {City.Short}'s node ({info.FileName} {_nodeDll})");
        }
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new PilotException($"{City.Short}'s node exited with code {process.ExitCode} while starting; see {_logPath}");
            }
            if (Data.ReadEndpoint() is { } endpoint && endpoint.Pid == process.Id)
            {
                // Keep the ports for a restart: members know this node by the endpoint in its card.
                if (endpoint.Mesh is { } mesh)
                {
                    _listen = mesh;
                }
                _udp = endpoint.Udp.ToString(CultureInfo.InvariantCulture);
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new PilotException($"{City.Short}'s node did not start within {StartTimeout.TotalSeconds:0} s; see {_logPath}");
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL: the node gets no chance to clean up, as in a power cut.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Reported by Running staying true; the caller decides.
        }
        WriteLog($"--- pilot: node killed (SIGKILL) at {DateTimeOffset.UtcNow:O}");
    }

    /// <summary>Ends the process at once; used on exit, Ctrl+C included, so no node outlives the pilot.</summary>
    public void KillNow()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
        _process = null;
        if (_log is not null)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
            _log = null;
        }
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    /// <summary>The dotnet host that runs this CLI (dotnet run and dotnet test set DOTNET_HOST_PATH), else dotnet on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return "dotnet";
    }
}

/// <summary>A pilot step failed; the message says what did not happen.</summary>
internal sealed class PilotException(string message) : Exception(message);
