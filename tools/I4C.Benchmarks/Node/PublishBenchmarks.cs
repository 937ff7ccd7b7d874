using BenchmarkDotNet.Attributes;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace I4C.Benchmarks.Node;

/// <summary>
/// The node's own publish path without gRPC and without log output:
/// <see cref="LocalNode.PublishAsync"/> of a 1 KiB advisory (head lookup, sign, self-validate,
/// one durable single-record transaction). The macro benchmark's records/s over the Admin
/// API can be read against this: the difference is gRPC, the console log and concurrency.
/// The chain grows as the benchmark runs, as it does on a real node.
/// </summary>
[MemoryDiagnoser]
public class PublishBenchmarks
{
    private string _directory = null!;
    private RecordStore _store = null!;
    private NodeIdentity _identity = null!;
    private LocalNode _node = null!;
    private RecordDraft _draft = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Samples.TempDirectory("publish");
        _store = RecordStore.Open(Path.Combine(_directory, DataDirectory.DatabaseFileName), TimeProvider.System);
        _identity = NodeIdentity.Create();
        var profile = new NodeProfile("Bench", "DE", MemberCategory.EuCity, Participation.Active);
        _node = new LocalNode(_identity, profile, _store, new RecordValidator(RecordLimits.Default, TimeProvider.System),
            TimeProvider.System, NullLogger<LocalNode>.Instance);
        _draft = Samples.Draft();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _node.Dispose();
        _store.Dispose();
        _identity.Dispose();
        Samples.DeleteDirectory(_directory);
    }

    /// <summary>Publish one 1 KiB advisory and wait for its commit.</summary>
    [Benchmark]
    public ValueTask<ValidatedRecord> Publish() => _node.PublishAsync(_draft, CancellationToken.None);
}
