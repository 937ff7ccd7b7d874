using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using I4C.Storage;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>
/// The real node as a separate OS process (<c>dotnet i4c-node.dll</c>), for tests that need
/// SIGKILL or SIGTERM. Started on loopback with every port 0; ready once DATA/admin.endpoint
/// names its pid. Always killed on dispose; its output is kept for failure messages.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private NodeProcess(Process process, DataDirectory data)
    {
        _process = process;
        Data = data;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public DataDirectory Data { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts <c>i4c-node</c> on <paramref name="dataDirectory"/> and waits until it is ready.</summary>
    public static async Task<NodeProcess> StartAsync(string dataDirectory, string name = "City of Processburg", string country = "AT", string category = "eu-city", IReadOnlyList<string>? extraArgs = null)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            NodeDll(), "--data", dataDirectory, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--udp", "0",
            "--name", name, "--country", country, "--category", category,
        })
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var arg in extraArgs ?? [])
        {
            info.ArgumentList.Add(arg);
        }
        // The node reads I4C_* variables; the test run's own environment must not leak into it.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("I4C_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        var process = new Process { StartInfo = info };
        var node = new NodeProcess(process, new DataDirectory(dataDirectory));
        if (!process.Start())
        {
            throw new InvalidOperationException("could not start the node process");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Retry.UntilAsync(() =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"i4c-node exited with code {process.ExitCode} before it was ready:{Environment.NewLine}{node.Output}");
                }
                return node.Data.ReadEndpoint()?.Pid == process.Id;
            }, TestTimeouts.ProcessStart, $"i4c-node (pid {process.Id}) to write {DataDirectory.EndpointFileName}").ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return node;
    }

    /// <summary>SIGKILL: the process dies at once, mid-write if it was writing.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync().WithTimeout().ConfigureAwait(false);
    }

    /// <summary>Sends SIGTERM (a polite stop) and does not wait.</summary>
    public void SendTerm()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {Pid} failed with exit code {kill.ExitCode}");
        }
    }

    /// <summary>SIGTERM, then waits for the exit; returns false when the process is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        SendTerm();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WithTimeout().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>
    /// The built node: next to the test assembly when its runtimeconfig was copied there (it is, as a
    /// referenced Exe project), else node/I4C.Node/bin/&lt;Configuration&gt;/net10.0 from the repository root.
    /// </summary>
    public static string NodeDll()
    {
        var local = Path.Combine(AppContext.BaseDirectory, "i4c-node.dll");
        if (File.Exists(local) && File.Exists(Path.Combine(AppContext.BaseDirectory, "i4c-node.runtimeconfig.json")))
        {
            return local;
        }
        var configuration = typeof(NodeProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "I4C.Node.sln")))
            {
                var built = Path.Combine(dir.FullName, "node", "I4C.Node", "bin", configuration, "net10.0", "i4c-node.dll");
                return File.Exists(built) ? built : throw new FileNotFoundException($"the node is not built: {built}");
            }
        }
        throw new FileNotFoundException($"i4c-node.dll is neither in {AppContext.BaseDirectory} nor under a directory holding I4C.Node.sln");
    }

    /// <summary>The dotnet host that runs this test process, else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
