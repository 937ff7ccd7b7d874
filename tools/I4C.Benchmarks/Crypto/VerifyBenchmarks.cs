using BenchmarkDotNet.Attributes;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Benchmarks.Crypto;

/// <summary>
/// What a receiver pays to accept one record: the bare signature check
/// (<see cref="RecordSignature.Verify"/>) and the full standalone validation
/// (<see cref="RecordValidator.Validate(SignedRecord)"/>: parse, signature, shape,
/// audience, clock, payload hash and payload parse) of a signed 1 KiB advisory.
/// </summary>
[MemoryDiagnoser]
public class VerifyBenchmarks
{
    private SignedRecord _wire = null!;
    private byte[] _header = null!;
    private byte[] _signature = null!;
    private byte[] _authorKey = null!;
    private RecordValidator _validator = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var author = NodeIdentity.Create();
        _wire = RecordWriter.Sign(author, Samples.Draft(), 1, default, Samples.SignedAt);
        _header = _wire.Header.ToByteArray();
        _signature = _wire.Signature.ToByteArray();
        _authorKey = author.Id.ToBytes();
        _validator = new RecordValidator(RecordLimits.Default, TimeProvider.System);
        if (!RecordSignature.Verify(_authorKey, _header, _signature) || !_validator.Validate(_wire).IsValid)
        {
            throw new InvalidOperationException("The sample record does not verify; the benchmark would measure the failure path.");
        }
    }

    /// <summary>Ed25519 verification of the header bytes (with the domain prefix), key import included.</summary>
    [Benchmark]
    public bool Verify() => RecordSignature.Verify(_authorKey, _header, _signature);

    /// <summary>Everything <see cref="RecordValidator"/> checks without a store, from the wire message.</summary>
    [Benchmark]
    public ValidationResult Validate() => _validator.Validate(_wire);
}
