using BenchmarkDotNet.Attributes;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Storage;

namespace I4C.Benchmarks.Storage;

/// <summary>
/// <see cref="RecordStore.Get"/> of a random stored id out of 10,000 stored 1 KiB records
/// (the lookup behind `i4c show ID` and a peer's fetch): SQL, payload join, header parse.
/// <see cref="FindByPrefix"/> is the first step of `i4c show PREFIX` (8 hex digits).
/// The database is warm in the page cache, as on a busy node.
/// </summary>
[MemoryDiagnoser]
public class ReadByIdBenchmarks
{
    public const int StoredRecords = 10_000;

    private string _directory = null!;
    private RecordStore _store = null!;
    private RecordId[] _ids = null!;
    private string[] _prefixes = null!;
    private Random _random = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Samples.TempDirectory("read");
        _store = RecordStore.Open(Path.Combine(_directory, DataDirectory.DatabaseFileName), TimeProvider.System);
        var validator = new RecordValidator(RecordLimits.Default, TimeProvider.System);
        using var author = NodeIdentity.Create();
        var validated = Samples.Chain(author, StoredRecords)
            .Select(w => validator.Validate(w).Record ?? throw new InvalidOperationException("A sample record does not validate."))
            .ToList();
        foreach (var chunk in validated.Chunk(1000))
        {
            if (_store.InsertBatch(chunk).Any(o => o.Status != StoreStatus.Stored))
            {
                throw new InvalidOperationException("The sample store could not be filled.");
            }
        }
        _ids = validated.Select(v => v.Id).ToArray();
        _prefixes = _ids.Select(id => id.ToString()[..8]).ToArray();
        _random = new Random(20261125);
        if (_store.Get(_ids[^1]) is null)
        {
            throw new InvalidOperationException("A stored record cannot be read back.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Samples.DeleteDirectory(_directory);
    }

    /// <summary>Read one record by its id, chosen at random (seeded) among the 10,000.</summary>
    [Benchmark]
    public StoredRecord? ReadById() => _store.Get(_ids[_random.Next(_ids.Length)]);

    /// <summary>Find the ids that start with a random stored id's first 8 hex digits.</summary>
    [Benchmark]
    public IReadOnlyList<RecordId> FindByPrefix() => _store.FindByPrefix(_prefixes[_random.Next(_prefixes.Length)]);
}
