using BenchmarkDotNet.Attributes;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Benchmarks.Crypto;

/// <summary>
/// What an author pays to write one record: <see cref="RecordWriter.Sign"/> of a 1 KiB
/// advisory (header build, payload SHA-256, header serialization, Ed25519 signature, copies).
/// </summary>
[MemoryDiagnoser]
public class SignBenchmarks
{
    private NodeIdentity _author = null!;
    private RecordDraft _draft = null!;
    private RecordId _prev;

    [GlobalSetup]
    public void Setup()
    {
        _author = NodeIdentity.Create();
        _draft = Samples.Draft();
        _prev = RecordId.OfHeader("previous header"u8);
    }

    [GlobalCleanup]
    public void Cleanup() => _author.Dispose();

    /// <summary>Sign a 1 KiB advisory as seq 2 of the mesh channel.</summary>
    [Benchmark]
    public SignedRecord Sign() => RecordWriter.Sign(_author, _draft, 2, _prev, Samples.SignedAt);
}
