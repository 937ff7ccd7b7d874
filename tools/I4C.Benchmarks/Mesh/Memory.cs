using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using I4C.Benchmarks.Macro;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Benchmarks.Mesh;

/// <summary>One memory run: the real node process on a data directory holding the history.</summary>
public sealed record MemoryRun(
    int Run,
    long Records,
    double StartupSeconds,
    double? RssAfterStartMiB,
    double? PeakAfterStartMiB,
    double CatchUpSeconds,
    double? PeakAfterCatchUpMiB,
    double VerifySeconds,
    long Verified,
    double? PeakAfterVerifyMiB);

/// <summary>The median of each column over the runs.</summary>
public sealed record MemoryMedian(double? RssAfterStartMiB, double? PeakAfterCatchUpMiB, double? PeakAfterVerifyMiB, double CatchUpSeconds, double VerifySeconds);

/// <summary>
/// The memory a node needs to hold and serve a large store, measured on the real `i4c-node`
/// process so that its peak RSS (VmHWM in /proc/PID/status) is its own. The data directory is
/// made in this process first: node A is started in-process (which creates its identity with
/// DataDirectory.CreateIdentity), founds a mesh with node B (both founders, only A adopts), gets
/// the history on its own chain, and is stopped. Then `dotnet i4c-node.dll --data DIR` is
/// started on that directory; B (in-process) adopts and is pointed at the process's mesh
/// endpoint, and catches up on the whole history from it; finally `Admin.Verify` re-verifies
/// every stored record in the process. VmHWM is read after start, after serving the catch-up,
/// and after the verify (it only grows).
/// </summary>
internal static class Memory
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(120);

    public static async Task<MemoryRun> RunAsync(int run, string nodeDll, MeshBenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var mesh = await LocalMesh.StartAsync(2, new MeshOptions(), cancellationToken).ConfigureAwait(false);
        await mesh.FoundAsync([0], cancellationToken).ConfigureAwait(false);
        var a = mesh[0];
        var b = mesh[1];
        var aId = a.Id;
        var target = await Task.Run(() => History.Append(a.Node.Identity, a.Node.MeshId, a.Node.Validator, options.Records, [a.Node.Store], cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        var data = mesh.DataDirectoryOf(0);
        await mesh.StopNodeAsync(0).ConfigureAwait(false);
        Progress($"  run {run}: data directory with {target:N0} records on A's chain ready; starting {nodeDll}…");

        var startClock = Stopwatch.StartNew();
        await using var node = MeshNodeProcess.Start(nodeDll, data);
        var endpoint = await node.WaitForEndpointAsync(StartupTimeout, cancellationToken).ConfigureAwait(false);
        var startup = startClock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        var (rssStart, peakStart) = Stats.MemoryOf(node.Pid);

        long stored = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStored(IReadOnlyList<ValidatedRecord> records, NodeId from)
        {
            if (Interlocked.Add(ref stored, records.Count(r => r.Author.Equals(aId))) >= (long)target)
            {
                done.TrySetResult();
            }
        }
        b.Sync.RecordsStored += OnStored;
        double catchUpSeconds;
        try
        {
            var clock = Stopwatch.StartNew();
            await mesh.AdoptAsync(1, cancellationToken).ConfigureAwait(false);
            // B knows A only from the charter's card, whose endpoint was the in-process node's.
            b.Connections.AddCandidate(endpoint.Mesh ?? throw new MeshBenchmarkException("the node wrote no mesh endpoint."), aId);
            try
            {
                await done.Task.WaitAsync(options.CatchUpTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MeshBenchmarkException($"memory run {run}: node B stored {Interlocked.Read(ref stored):N0} of {target:N0} records from the node process in {options.CatchUpTimeout.TotalSeconds:0} s.\n{node.Tail()}\n{mesh.Warnings.Tail()}");
            }
            catchUpSeconds = clock.Elapsed.TotalSeconds;
        }
        finally
        {
            b.Sync.RecordsStored -= OnStored;
        }
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        var (_, peakCatchUp) = Stats.MemoryOf(node.Pid);

        var token = new DataDirectory(data).ReadAdminToken();
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
        var verifyClock = Stopwatch.StartNew();
        var report = await client.VerifyAsync(new VerifyRequest(), deadline: DateTime.UtcNow + options.CatchUpTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        var verifySeconds = verifyClock.Elapsed.TotalSeconds;
        if (report.Failures.Count > 0 || report.Checked < target)
        {
            throw new MeshBenchmarkException($"memory run {run}: Admin.Verify checked {report.Checked} records with {report.Failures.Count} failures.");
        }
        var (_, peakVerify) = Stats.MemoryOf(node.Pid);
        return new MemoryRun(run, (long)target, startup, rssStart, peakStart, catchUpSeconds, peakCatchUp, verifySeconds, (long)report.Checked, peakVerify);
    }

    public static MemoryMedian Median(IReadOnlyList<MemoryRun> runs) => new(
        NullableMedian(runs.Select(r => r.RssAfterStartMiB)),
        NullableMedian(runs.Select(r => r.PeakAfterCatchUpMiB)),
        NullableMedian(runs.Select(r => r.PeakAfterVerifyMiB)),
        Stats.Median(runs.Select(r => r.CatchUpSeconds)),
        Stats.Median(runs.Select(r => r.VerifySeconds)));

    private static double? NullableMedian(IEnumerable<double?> values)
    {
        var list = values.ToList();
        return list.All(v => v is not null) ? Stats.Median(list.Select(v => v!.Value)) : null;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"i4c-bench mesh: {message}");
}

/// <summary>
/// The real node (`dotnet i4c-node.dll --data DIR`) on a data directory prepared beforehand, all
/// listeners on port 0, mDNS off, no I4C_* variables. Its output is drained and the last lines
/// kept for error messages. Disposing kills it (the data directory belongs to the caller).
/// </summary>
internal sealed class MeshNodeProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly DataDirectory _data;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    private MeshNodeProcess(Process process, DataDirectory data)
    {
        _process = process;
        _data = data;
    }

    public int Pid => _process.Id;

    public static MeshNodeProcess Start(string nodeDll, string dataDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(nodeDll)!,
        };
        foreach (var arg in new[] { nodeDll, "--data", dataDirectory, "--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--udp", "0", "--mdns", "off" })
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("I4C_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        var process = new Process { StartInfo = start };
        var node = new MeshNodeProcess(process, new DataDirectory(dataDirectory));
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new MeshBenchmarkException($"could not start `dotnet` for the node process: {ex.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Polls DATA/admin.endpoint until this process has written it.</summary>
    public async Task<NodeEndpoint> WaitForEndpointAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw new MeshBenchmarkException($"the node exited with code {_process.ExitCode} before it was ready.\n{Tail()}");
            }
            if (File.Exists(_data.EndpointPath) && _data.ReadEndpoint() is { } endpoint && endpoint.Pid == _process.Id)
            {
                return endpoint;
            }
            if (clock.Elapsed > timeout)
            {
                throw new MeshBenchmarkException($"the node wrote no {DataDirectory.EndpointFileName} within {timeout.TotalSeconds:0} s.\n{Tail()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    public string Tail()
    {
        lock (_gate)
        {
            return _lines.Count == 0 ? "(the node wrote nothing)" : "node output (last lines):\n  " + string.Join("\n  ", _lines);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > KeptLines)
            {
                _lines.Dequeue();
            }
        }
    }

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
            // Never started or already reaped.
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"i4c-bench: node process {_process.Id} did not exit within 10 s of SIGKILL.").ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
