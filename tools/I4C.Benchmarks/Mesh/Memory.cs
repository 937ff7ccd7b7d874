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
        await using var node = NodeProcess.StartOn(nodeDll, data, "--mdns", "off");
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
