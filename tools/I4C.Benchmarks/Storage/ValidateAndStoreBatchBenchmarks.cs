using BenchmarkDotNet.Attributes;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Benchmarks.Storage;

/// <summary>
/// What a node pays to take in a batch from a peer: validate 1,000 signed 1 KiB records
/// and store them with <see cref="RecordStore.InsertBatch"/> in one transaction (one
/// durable commit: WAL, synchronous=FULL) into a fresh database. Reported per record
/// (OperationsPerInvoke = 1,000). <see cref="StoreBatch"/> is the same insert of records
/// validated beforehand, so the difference is the validation share.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[WarmupCount(3)]
[IterationCount(20)]
public class ValidateAndStoreBatchBenchmarks
{
    public const int BatchSize = 1000;

    private List<SignedRecord> _wire = null!;
    private List<ValidatedRecord> _validated = null!;
    private RecordValidator _validator = null!;
    private string _directory = null!;
    private RecordStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var author = NodeIdentity.Create();
        _wire = Samples.Chain(author, BatchSize);
        _validator = new RecordValidator(RecordLimits.Default, TimeProvider.System);
        _validated = _wire.Select(w => _validator.Validate(w).Record
            ?? throw new InvalidOperationException("A sample record does not validate.")).ToList();
    }

    // A fresh, empty database per iteration: the chain starts at seq 1 every time.
    [IterationSetup]
    public void OpenStore()
    {
        _directory = Samples.TempDirectory("batch");
        _store = RecordStore.Open(Path.Combine(_directory, DataDirectory.DatabaseFileName), TimeProvider.System);
    }

    [IterationCleanup]
    public void CloseStore()
    {
        _store.Dispose();
        Samples.DeleteDirectory(_directory);
    }

    /// <summary>Validate each record, then insert all 1,000 in one transaction.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int ValidateAndStoreBatch()
    {
        var batch = new List<ValidatedRecord>(_wire.Count);
        foreach (var wire in _wire)
        {
            var result = _validator.Validate(wire);
            batch.Add(result.Record ?? throw new InvalidOperationException($"Rejected: {result.Rejection}"));
        }
        return CountStored(_store.InsertBatch(batch));
    }

    /// <summary>Only the one-transaction insert of 1,000 records validated in setup.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int StoreBatch() => CountStored(_store.InsertBatch(_validated));

    private static int CountStored(IReadOnlyList<StoreOutcome> outcomes)
    {
        var stored = outcomes.Count(o => o.Status == StoreStatus.Stored);
        return stored == BatchSize
            ? stored
            : throw new InvalidOperationException($"Only {stored} of {BatchSize} records were stored: {outcomes.First(o => o.Status != StoreStatus.Stored)}");
    }
}
