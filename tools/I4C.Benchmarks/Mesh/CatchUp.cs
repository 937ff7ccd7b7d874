using System.Diagnostics;
using System.Security.Cryptography;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Mesh;
using NSec.Cryptography;

namespace I4C.Benchmarks.Mesh;

/// <summary>One catch-up run: a fresh pair of nodes, the history, the in-run baseline, and the catch-up.</summary>
public sealed record CatchUpRun(
    int Run,
    long Records,
    double LoadSeconds,
    double LinkSeconds,
    double Seconds,
    double RecordsPerSecond,
    double VerifyBeforePerSecond,
    double VerifyAfterPerSecond,
    double CpuMsPerRecord,
    long Duplicates,
    double JitMs,
    double GcPauseMs,
    double AllocatedBytesPerRecord)
{
    /// <summary>
    /// The machine's Ed25519 verifications/s on all cores around the catch-up: the mean of the rate measured just
    /// before it and the rate measured just after it. This VM's speed drifts by up to a quarter within a minute,
    /// so one measurement on one side says less about the seconds in between.
    /// </summary>
    public double VerifyPerSecond => (VerifyBeforePerSecond + VerifyAfterPerSecond) / 2;

    /// <summary>records/s ÷ <see cref="VerifyPerSecond"/>: the share of the machine's raw verification rate a catch-up achieves.</summary>
    public double Ratio => RecordsPerSecond / VerifyPerSecond;

    /// <summary>records/s ÷ the rate measured before the catch-up only (how the ratio was computed until 2026-11-26).</summary>
    public double RatioToBefore => RecordsPerSecond / VerifyBeforePerSecond;
}

/// <summary>The median of each column over the runs.</summary>
public sealed record CatchUpMedian(double Seconds, double RecordsPerSecond, double VerifyPerSecond, double Ratio, double RatioToBefore, double CpuMsPerRecord);

/// <summary>
/// A member catching up on history: node A holds <c>records</c> 1 KiB advisories on its own chain
/// (bulk-loaded before anyone links), node B, a founder with an empty store, adopts the charter
/// and links; the time from just before B's adoption (which starts its dialing) until B has
/// stored A's whole chain, every record validated and stored by B's normal path
/// (<see cref="SyncEngine"/>: validation in parallel per batch, one transaction per batch, not flushed on its own).
/// Both nodes run in this process and share its cores. The baseline, measured in the same
/// run just before the catch-up and again just after it: Ed25519 verifications per second on all cores.
/// </summary>
internal static class CatchUp
{
    private static readonly TimeSpan LinkTimeout = TimeSpan.FromSeconds(60);

    public static async Task<CatchUpRun> RunAsync(int run, MeshBenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var mesh = await LocalMesh.StartAsync(2, new MeshOptions(), cancellationToken).ConfigureAwait(false);
        await mesh.FoundAsync([0], cancellationToken).ConfigureAwait(false);
        var a = mesh[0];
        var b = mesh[1];

        var load = Stopwatch.StartNew();
        var target = await Task.Run(() => History.Append(a.Node.Identity, a.Node.MeshId, a.Node.Validator, options.Records, [a.Node.Store], cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        var loadSeconds = load.Elapsed.TotalSeconds;
        Progress($"  run {run}: {options.Records:N0} records loaded on node A in {loadSeconds:0.0} s; baseline…");

        Task<double> BaselineAsync() => Task.Run(() => VerifyBaseline.Measure(options.BaselineDuration, cancellationToken), cancellationToken);
        var verifyBefore = await BaselineAsync().ConfigureAwait(false);
        Progress($"  run {run}: baseline {verifyBefore:N0} Ed25519 verifications/s on {Environment.ProcessorCount} cores; catching up…");

        // B has everything once it has stored A's chain up to the head A had before B linked (A publishes nothing meanwhile).
        var aId = a.Id;
        long stored = 0;
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStored(IReadOnlyList<ValidatedRecord> records, NodeId from)
        {
            var mine = records.Count(r => r.Author.Equals(aId));
            if (Interlocked.Add(ref stored, mine) >= (long)target)
            {
                done.TrySetResult(Stopwatch.GetTimestamp());
            }
        }
        b.Sync.RecordsStored += OnStored;
        try
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var gcPause = GC.GetTotalPauseDuration();
            var allocated = GC.GetTotalAllocatedBytes();
            var started = Stopwatch.GetTimestamp();
            await mesh.AdoptAsync(1, cancellationToken).ConfigureAwait(false);
            async Task<double> LinkedAfterAsync() =>
                await Stats.UntilAsync(() => b.Sync.Links.Count > 0, LinkTimeout, TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false)
                    ? Stats.Ms(started, Stopwatch.GetTimestamp()) / 1000
                    : double.NaN;
            var linked = LinkedAfterAsync();
            var timeout = options.CatchUpTimeout;
            long finished;
            try
            {
                finished = await done.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new MeshBenchmarkException($"catch-up run {run}: node B stored {Interlocked.Read(ref stored):N0} of {target:N0} records of A in {timeout.TotalSeconds:0} s: {mesh.Describe()}\n{mesh.Warnings.Tail()}");
            }
            var cpuUsed = Environment.CpuUsage.TotalTime - cpu;
            var duplicates = b.Sync.Duplicates;
            var jitUsed = System.Runtime.JitInfo.GetCompilationTime() - jit;
            var gcPaused = GC.GetTotalPauseDuration() - gcPause;
            var allocatedBytes = GC.GetTotalAllocatedBytes() - allocated;
            var linkSeconds = await linked.ConfigureAwait(false);
            var seconds = Stats.Ms(started, finished) / 1000;
            var head = b.Node.Store.GetHead(aId, Channels.Mesh).Seq;
            if (head != target)
            {
                throw new MeshBenchmarkException($"catch-up run {run}: node B holds A's chain up to seq {head}, not {target}.");
            }
            // The baseline again, right after: B's stream has ended and A serves nothing more.
            var verifyAfter = await BaselineAsync().ConfigureAwait(false);
            return new CatchUpRun(run, (long)target, loadSeconds, linkSeconds, seconds, target / seconds, verifyBefore, verifyAfter,
                cpuUsed.TotalMilliseconds / target, duplicates, jitUsed.TotalMilliseconds, gcPaused.TotalMilliseconds,
                (double)allocatedBytes / target);
        }
        finally
        {
            b.Sync.RecordsStored -= OnStored;
        }
    }

    public static CatchUpMedian Median(IReadOnlyList<CatchUpRun> runs) => new(
        Stats.Median(runs.Select(r => r.Seconds)),
        Stats.Median(runs.Select(r => r.RecordsPerSecond)),
        Stats.Median(runs.Select(r => r.VerifyPerSecond)),
        Stats.Median(runs.Select(r => r.Ratio)),
        Stats.Median(runs.Select(r => r.RatioToBefore)),
        Stats.Median(runs.Select(r => r.CpuMsPerRecord)));

    private static void Progress(string message) => Console.Error.WriteLine($"i4c-bench mesh: {message}");
}

/// <summary>
/// The machine's raw Ed25519 verification rate on all its cores: <see cref="Parallel.For(int, int, Action{int})"/>
/// with one worker per core, each verifying distinct signed 1 KiB messages (NSec) in a loop.
/// The rate is the median of <see cref="Slices"/> equal time slices, so a burst of other work
/// on the machine moves it less. A receiving node verifies the signature over the header (about
/// 170 bytes) and hashes the payload separately; over 1 KiB the verification costs a little
/// more (SHA-512 of the extra bytes), which makes the baseline slightly conservative.
/// </summary>
internal static class VerifyBaseline
{
    public const int Slices = 5;
    public const int MessageBytes = 1024;
    private const int Messages = 1024;

    public static double Measure(TimeSpan budget, CancellationToken cancellationToken)
    {
        var algorithm = SignatureAlgorithm.Ed25519;
        var keys = Enumerable.Range(0, 4).Select(_ => Key.Create(algorithm)).ToArray();
        try
        {
            var messages = new byte[Messages][];
            var signatures = new byte[Messages][];
            var publicKeys = new PublicKey[Messages];
            for (var i = 0; i < Messages; i++)
            {
                var key = keys[i % keys.Length];
                messages[i] = RandomNumberGenerator.GetBytes(MessageBytes);
                signatures[i] = algorithm.Sign(key, messages[i]);
                publicKeys[i] = key.PublicKey;
            }
            bool VerifyOne(int i) => algorithm.Verify(publicKeys[i], messages[i], signatures[i]);
            for (var i = 0; i < Messages; i++)
            {
                if (!VerifyOne(i))
                {
                    throw new InvalidOperationException("Ed25519 baseline: a fresh signature does not verify.");
                }
            }

            var workers = Environment.ProcessorCount;
            var slice = budget / Slices;
            var rates = new double[Slices];
            for (var s = 0; s < Slices; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long done = 0;
                var clock = Stopwatch.StartNew();
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, worker =>
                {
                    var n = 0L;
                    var i = worker * (Messages / workers);
                    while (clock.Elapsed < slice)
                    {
                        for (var k = 0; k < 16; k++)
                        {
                            if (!VerifyOne(i))
                            {
                                throw new InvalidOperationException("Ed25519 baseline: a signature does not verify.");
                            }
                            i = (i + 1) % Messages;
                            n++;
                        }
                    }
                    Interlocked.Add(ref done, n);
                });
                rates[s] = done / clock.Elapsed.TotalSeconds;
            }
            return Stats.Median(rates);
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }
}
