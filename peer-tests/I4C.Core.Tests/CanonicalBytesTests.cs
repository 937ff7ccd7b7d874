using System.Security.Cryptography;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using I4C.Storage;
using NSec.Cryptography;

namespace I4C.Core.Tests;

/// <summary>
/// The header is serialized once, by its author; those exact bytes are signed, hashed,
/// stored and verified. These tests prove no step re-serializes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CanonicalBytesTests : IDisposable
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly NodeIdentity _author = NodeIdentity.Create();
    private readonly TempDirectory _dir = new();

    public CanonicalBytesTests() => _validator = new RecordValidator(RecordLimits.Default, _time);

    public void Dispose()
    {
        _author.Dispose();
        _dir.Dispose();
    }

    private SignedRecord SignSample() => RecordWriter.Sign(_author, new RecordDraft
    {
        Kind = RecordKind.Advisory,
        Tlp = Tlp.Amber,
        Payload = TestRecords.AdvisoryPayload("canonical"),
        ExpiresUnixMs = TestClock.Start.AddDays(30).ToUnixTimeMilliseconds(),
        ReceiptsRequested = true,
        References = [new Reference { Type = ReferenceType.ReplyTo, RecordId = Google.Protobuf.ByteString.CopyFrom(new byte[32]) }],
    }, 1, default, _time.GetUtcNow());

    [Fact]
    public void Sign_ThenValidateAndStore_KeepsTheExactHeaderBytes()
    {
        // Arrange
        var wire = SignSample();
        var signedBytes = wire.Header.ToByteArray();
        using var store = RecordStore.Open(_dir.File("canonical.db"), _time);

        // Act
        var validated = _validator.MustValidate(wire);
        var outcome = store.Insert(validated);
        var stored = store.Get(validated.Id);

        // Assert
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Equal(signedBytes, validated.HeaderBytes);
        Assert.NotNull(stored);
        Assert.Equal(signedBytes, stored.HeaderBytes);
        Assert.Equal(wire.Signature.ToByteArray(), stored.Signature);
        Assert.Equal(signedBytes, stored.ToWire().Header.ToByteArray());
    }

    [Fact]
    public void RecordId_OfSignedHeader_IsSha256OfTheHeaderBytes()
    {
        // Arrange
        var wire = SignSample();
        var expected = SHA256.HashData(wire.Header.Span);

        // Act
        var validated = _validator.MustValidate(wire);

        // Assert
        Assert.Equal(expected, validated.Id.ToArray());
        Assert.Equal(RecordId.OfHeader(wire.Header.Span), validated.Id);
        Assert.Equal(Convert.ToHexStringLower(expected), validated.Id.ToString());
    }

    [Fact]
    public void RawHeaderEncoder_InFieldOrder_ReproducesTheWriterBytes()
    {
        // Arrange: a control for the hand encoder used below.
        var wire = SignSample();
        var header = RecordHeader.Parser.ParseFrom(wire.Header);

        // Act
        var encoded = RawHeader.Encode(header);

        // Assert
        Assert.Equal(wire.Header.ToByteArray(), encoded);
    }

    [Fact]
    public void Validate_SameFieldsInAnotherOrder_HasAnotherIdAndTheSignatureNoLongerVerifies()
    {
        // Arrange
        var wire = SignSample();
        var original = wire.Header.ToByteArray();
        var header = RecordHeader.Parser.ParseFrom(original);
        var reordered = RawHeader.Encode(header, reversed: true);

        // Act
        var result = _validator.Validate(reordered, wire.Signature.ToByteArray(), wire.Payload.ToByteArray());

        // Assert
        Assert.NotEqual(original, reordered);
        Assert.Equal(header, RecordHeader.Parser.ParseFrom(reordered));
        Assert.NotEqual(RecordId.OfHeader(original), RecordId.OfHeader(reordered));
        Assert.False(result.IsValid);
        Assert.Equal(RejectReason.BadSignature, result.Rejection!.Reason);
        Assert.Equal("BAD_SIGNATURE", result.Rejection.Code);
    }

    [Fact]
    public void Validate_UnknownFieldAppended_HasAnotherIdAndTheSignatureNoLongerVerifies()
    {
        // Arrange
        var wire = SignSample();
        var original = wire.Header.ToByteArray();
        var extended = original.Concat(RawHeader.UnknownVarintField(99, 7)).ToArray();
        var parsed = RecordHeader.Parser.ParseFrom(extended);

        // Act
        var result = _validator.Validate(extended, wire.Signature.ToByteArray(), wire.Payload.ToByteArray());

        // Assert
        Assert.Equal(RecordHeader.Parser.ParseFrom(original).Seq, parsed.Seq);
        Assert.Equal(RecordHeader.Parser.ParseFrom(original).Author, parsed.Author);
        Assert.NotEqual(RecordId.OfHeader(original), RecordId.OfHeader(extended));
        Assert.Equal(RejectReason.BadSignature, result.Rejection?.Reason);
    }

    [Fact]
    public void Validate_NonCanonicalBytesSignedAsTheyAre_AcceptsThemAndKeepsThemVerbatim()
    {
        // Arrange: an author whose encoder writes fields in reverse order and an unknown
        // field. Such bytes are legal; verification must use them as received.
        var wire = SignSample();
        var header = RecordHeader.Parser.ParseFrom(wire.Header);
        var odd = RawHeader.Encode(header, reversed: true).Concat(RawHeader.UnknownVarintField(99, 7)).ToArray();
        var signature = _author.Sign(RecordSignature.SignedBytes(odd));
        using var store = RecordStore.Open(_dir.File("odd.db"), _time);

        // Act
        var result = _validator.Validate(odd, signature, wire.Payload.ToByteArray());
        var outcome = store.Insert(result.Record!);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Equal(odd, result.Record!.HeaderBytes);
        Assert.Equal(SHA256.HashData(odd), result.Record.Id.ToArray());
        Assert.NotEqual(RecordId.OfHeader(wire.Header.Span), result.Record.Id);
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Equal(odd, store.Get(result.Record.Id)!.HeaderBytes);
    }

    [Fact]
    public void DomainPrefix_IsI4cRecordV1FollowedByNul()
    {
        // Arrange
        var expected = "I4C-RECORD-V1\0"u8.ToArray();

        // Act
        var prefix = RecordSignature.DomainPrefix.ToArray();
        var signed = RecordSignature.SignedBytes([1, 2, 3]);

        // Assert
        Assert.Equal(expected, prefix);
        Assert.Equal(14, prefix.Length);
        Assert.Equal([.. expected, 1, 2, 3], signed);
    }

    [Fact]
    public void Signature_FromWriter_CoversTheDomainPrefixAndTheHeader()
    {
        // Arrange
        var wire = SignSample();
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, _author.Id.PublicKey, KeyBlobFormat.RawPublicKey);
        var header = wire.Header.ToByteArray();
        var signature = wire.Signature.ToByteArray();

        // Act
        var overPrefixed = SignatureAlgorithm.Ed25519.Verify(publicKey, [.. RecordSignature.DomainPrefix, .. header], signature);
        var overBareHeader = SignatureAlgorithm.Ed25519.Verify(publicKey, header, signature);

        // Assert
        Assert.True(overPrefixed);
        Assert.False(overBareHeader);
    }

    [Fact]
    public void Validate_RawEd25519SignatureWithoutDomainPrefix_IsBadSignature()
    {
        // Arrange
        var wire = SignSample();
        var header = wire.Header.ToByteArray();
        var bareSignature = _author.Sign(header);

        // Act
        var result = _validator.Validate(header, bareSignature, wire.Payload.ToByteArray());

        // Assert
        Assert.Equal(64, bareSignature.Length);
        Assert.Equal(RejectReason.BadSignature, result.Rejection?.Reason);
        Assert.Equal("BAD_SIGNATURE", result.Rejection!.Code);
    }

    [Fact]
    public void Validate_SignatureUnderAnotherDomainPrefix_IsBadSignature()
    {
        // Arrange
        var wire = SignSample();
        var header = wire.Header.ToByteArray();
        var otherDomain = _author.Sign([.. "I4C-RECORD-V2\0"u8, .. header]);

        // Act
        var result = _validator.Validate(header, otherDomain, wire.Payload.ToByteArray());

        // Assert
        Assert.Equal(RejectReason.BadSignature, result.Rejection?.Reason);
    }
}
