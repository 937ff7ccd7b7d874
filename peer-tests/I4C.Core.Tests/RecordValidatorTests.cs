using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>One precise case per <see cref="RejectReason"/> the validator gives, on hand-built headers.</summary>
[Trait("Category", "Unit")]
public sealed class RecordValidatorTests : IDisposable
{
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly NodeIdentity _author = NodeIdentity.Create();
    private readonly NodeIdentity _other = NodeIdentity.Create();
    private readonly NodeIdentity _third = NodeIdentity.Create();
    private readonly byte[] _payload = TestRecords.AdvisoryPayload("validator", "a body of some length");

    public RecordValidatorTests() => _validator = new RecordValidator(RecordLimits.Default, _time);

    public void Dispose()
    {
        _author.Dispose();
        _other.Dispose();
        _third.Dispose();
    }

    private RecordHeader Header() => TestRecords.ValidHeader(_author, _payload, _time.GetUtcNow());

    private ValidationResult SignAndValidate(RecordHeader header, byte[]? payload = null, RecordValidator? validator = null)
    {
        var (bytes, signature) = TestRecords.Sign(_author, header);
        return (validator ?? _validator).Validate(bytes, signature, payload ?? _payload);
    }

    private static void AssertRejected(ValidationResult result, RejectReason reason, params string[] detailParts)
    {
        Assert.False(result.IsValid, "expected a rejection, the record was accepted");
        Assert.Null(result.Record);
        Assert.NotNull(result.Rejection);
        Assert.Equal(reason, result.Rejection.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Rejection.Detail));
        foreach (var part in detailParts)
        {
            Assert.Contains(part, result.Rejection.Detail, StringComparison.Ordinal);
        }
    }

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    // --- control ---------------------------------------------------------------------

    [Fact]
    public void Validate_UnmodifiedHandBuiltHeader_IsValid()
    {
        // Act
        var result = SignAndValidate(Header());

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Equal(_author.Id, result.Record!.Author);
        Assert.Equal(1UL, result.Record.Seq);
        Assert.Equal(_payload, result.Record.Payload);
    }

    [Fact]
    public void Validate_WithoutPayload_IsValidHeaderOnly()
    {
        // Arrange
        var (bytes, signature) = TestRecords.Sign(_author, Header());

        // Act
        var result = _validator.Validate(bytes, signature, null);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Null(result.Record!.Payload);
    }

    // --- Malformed -------------------------------------------------------------------

    [Fact]
    public void Validate_GarbageHeaderBytes_IsMalformed()
    {
        // Arrange
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

        // Act
        var result = _validator.Validate(garbage, new byte[64], null);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "does not parse");
    }

    [Fact]
    public void Validate_EmptyHeader_IsMalformed()
    {
        // Act
        var result = _validator.Validate([], new byte[64], null);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "empty");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(65)]
    public void Validate_SignatureOfWrongLength_IsMalformed(int length)
    {
        // Arrange
        var (bytes, signature) = TestRecords.Sign(_author, Header());
        var resized = new byte[length];
        signature.AsSpan(0, Math.Min(length, signature.Length)).CopyTo(resized);

        // Act
        var result = _validator.Validate(bytes, resized, _payload);

        // Assert
        AssertRejected(result, RejectReason.Malformed, $"signature is {length} bytes", "64");
    }

    [Fact]
    public void Validate_AuthorOf31Bytes_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.Author = ByteString.CopyFrom(_author.Id.PublicKey[..31]);

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "author is 31 bytes");
    }

    [Fact]
    public void Validate_Seq0_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.Seq = 0;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "seq is 0");
    }

    [Fact]
    public void Validate_PrevPresentAtSeq1_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.Prev = ByteString.CopyFrom(new byte[32]);

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "seq 1", "prev");
    }

    [Fact]
    public void Validate_PrevMissingAtSeq2_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.Seq = 2;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "prev is 0 bytes");
    }

    [Fact]
    public void Validate_ChannelOf16Bytes_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.Channel = ByteString.CopyFrom(new byte[16]);

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "channel is 16 bytes");
    }

    [Fact]
    public void Validate_PayloadHashOf20Bytes_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.PayloadHash = ByteString.CopyFrom(new byte[20]);

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "payload_hash is 20 bytes");
    }

    [Fact]
    public void Validate_ExpiryNotAfterCreation_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.ExpiresUnixMs = header.CreatedUnixMs;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "expires_unix_ms");
    }

    [Fact]
    public void Validate_AdvisoryPayloadThatDoesNotParse_IsMalformed()
    {
        // Arrange: field 1, length 16, but only one byte follows.
        byte[] payload = [0x0A, 0x10, 0x41];
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "advisory payload does not parse");
    }

    [Fact]
    public void Validate_RetractionPayloadThatDoesNotParse_IsMalformed()
    {
        // Arrange
        byte[] payload = [0xFF, 0xFF, 0xFF];
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());
        header.Kind = RecordKind.Retraction;
        header.References.Add(new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(new byte[32]) });

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "retraction payload does not parse");
    }

    [Fact]
    public void Validate_ReferenceWithShortRecordId_IsMalformed()
    {
        // Arrange
        var header = Header();
        header.References.Add(new Reference { Type = ReferenceType.ReplyTo, RecordId = ByteString.CopyFrom(new byte[31]) });

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Malformed, "32-byte record id");
    }

    // --- UnsupportedVersion -------------------------------------------------------------

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(255u)]
    public void Validate_HeaderVersionOtherThan1_IsUnsupportedVersion(uint version)
    {
        // Arrange
        var header = Header();
        header.Version = version;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.UnsupportedVersion, $"header version {version}", "version 1");
    }

    // --- BadSignature ----------------------------------------------------------------------

    [Fact]
    public void Validate_BitFlippedInHeaderAfterSigning_IsBadSignature()
    {
        // Arrange: flip one bit inside the payload hash, so the header still parses.
        var header = Header();
        var (bytes, signature) = TestRecords.Sign(_author, header);
        var at = bytes.AsSpan().IndexOf(header.PayloadHash.Span);
        Assert.True(at > 0);
        bytes[at + 5] ^= 0x01;

        // Act
        var result = _validator.Validate(bytes, signature, _payload);

        // Assert
        Assert.NotNull(RecordHeader.Parser.ParseFrom(bytes));
        AssertRejected(result, RejectReason.BadSignature, "signature");
    }

    [Theory]
    [InlineData(0)] // a header of ordinary size: the signed bytes are joined on the stack
    [InlineData(40)] // 40 recipients make the header larger than 1 KiB: joined on the heap
    public void Validate_HeaderOfEitherSize_VerifiesAndABitFlipIsBadSignature(int recipients)
    {
        // Arrange
        var header = Header();
        if (recipients > 0)
        {
            var audience = Channels.CanonicalAudience(Enumerable.Range(0, recipients).Select(_ => NodeId.FromPublicKey(RandomNumberGenerator.GetBytes(32))));
            header.Tlp = Tlp.Amber;
            header.Audience.Add(audience.Select(ByteString.CopyFrom));
            header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience));
            header.Encryption = EncryptionScheme.X25519HkdfXchacha20Poly1305;
        }
        var (bytes, signature) = TestRecords.Sign(_author, header);
        Assert.Equal(recipients > 0, bytes.Length + RecordSignature.DomainPrefix.Length > 1024);
        var flipped = (byte[])bytes.Clone();
        var at = flipped.AsSpan().IndexOf(header.PayloadHash.Span);
        flipped[at + 7] ^= 0x40;

        // Act
        var valid = _validator.Validate(bytes, signature, _payload);
        var forged = _validator.Validate(flipped, signature, _payload);

        // Assert
        Assert.True(valid.IsValid, valid.Rejection?.ToString());
        AssertRejected(forged, RejectReason.BadSignature, "signature");
    }

    [Fact]
    public void Validate_BitFlippedInSignature_IsBadSignature()
    {
        // Arrange
        var (bytes, signature) = TestRecords.Sign(_author, Header());
        signature[10] ^= 0x80;

        // Act
        var result = _validator.Validate(bytes, signature, _payload);

        // Assert
        AssertRejected(result, RejectReason.BadSignature, "signature");
    }

    [Fact]
    public void Validate_SignedByAnotherKeyThanTheAuthor_IsBadSignature()
    {
        // Arrange: the header names _author, the signature is _other's.
        var (bytes, signature) = TestRecords.Sign(_other, Header());

        // Act
        var result = _validator.Validate(bytes, signature, _payload);

        // Assert
        AssertRejected(result, RejectReason.BadSignature, "author's key");
    }

    // --- WrongPayloadHash -----------------------------------------------------------------

    [Fact]
    public void Validate_TamperedPayloadOfSameLength_IsWrongPayloadHash()
    {
        // Arrange
        var tampered = (byte[])_payload.Clone();
        tampered[^1] ^= 0x20;

        // Act
        var result = SignAndValidate(Header(), tampered);

        // Assert
        AssertRejected(result, RejectReason.WrongPayloadHash, "payload_hash");
    }

    [Fact]
    public void Validate_PayloadLengthDiffersFromPayloadSize_IsWrongPayloadHash()
    {
        // Arrange
        byte[] longer = [.. _payload, 0x00];

        // Act
        var result = SignAndValidate(Header(), longer);

        // Assert
        AssertRejected(result, RejectReason.WrongPayloadHash, $"payload is {longer.Length} bytes", $"the header says {_payload.Length}");
    }

    // --- Oversize --------------------------------------------------------------------------

    [Fact]
    public void Validate_HeaderLargerThanLimit_IsOversize()
    {
        // Arrange
        var validator = new RecordValidator(RecordLimits.Default with { MaxHeaderBytes = 128 }, _time);
        var header = Header();
        header.References.Add(Enumerable.Range(1, 4).Select(i =>
            new Reference { Type = ReferenceType.ReplyTo, RecordId = ByteString.CopyFrom(Key((byte)i)) }));
        var (bytes, signature) = TestRecords.Sign(_author, header);

        // Act
        var result = validator.Validate(bytes, signature, _payload);

        // Assert
        Assert.True(bytes.Length > 128);
        AssertRejected(result, RejectReason.Oversize, $"header is {bytes.Length} bytes", "128");
    }

    [Fact]
    public void Validate_HeaderLargerThanDefault16KiB_IsOversize()
    {
        // Arrange
        var bytes = new byte[16 * 1024 + 1];

        // Act
        var result = _validator.Validate(bytes, new byte[64], null);

        // Assert
        AssertRejected(result, RejectReason.Oversize, "16385", "16384");
    }

    [Fact]
    public void Validate_PayloadLargerThanLimit_IsOversize()
    {
        // Arrange
        var payload = new byte[RecordLimits.Default.MaxPayloadBytes + 1];
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        AssertRejected(result, RejectReason.Oversize, "payload is 1048577 bytes", "1048576");
    }

    [Fact]
    public void Validate_HeaderPayloadSizeLargerThanLimit_IsOversize()
    {
        // Arrange: header-only record announcing a 2 MiB payload.
        var header = Header();
        header.PayloadSize = 2 * 1024 * 1024;
        var (bytes, signature) = TestRecords.Sign(_author, header);

        // Act
        var result = _validator.Validate(bytes, signature, null);

        // Assert
        AssertRejected(result, RejectReason.Oversize, "payload_size 2097152");
    }

    [Fact]
    public void Validate_65References_IsOversize()
    {
        // Arrange
        var header = Header();
        header.References.Add(Enumerable.Range(0, 65).Select(i =>
            new Reference { Type = ReferenceType.ReplyTo, RecordId = ByteString.CopyFrom(Key((byte)i)) }));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.Oversize, "65 references", "64");
    }

    [Fact]
    public void Validate_64References_IsValid()
    {
        // Arrange
        var header = Header();
        header.References.Add(Enumerable.Range(0, 64).Select(i =>
            new Reference { Type = ReferenceType.ReplyTo, RecordId = ByteString.CopyFrom(Key((byte)i)) }));

        // Act
        var result = SignAndValidate(header);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    [Fact]
    public void Validate_AudienceLargerThanLimit_IsOversize()
    {
        // Arrange
        var validator = new RecordValidator(RecordLimits.Default with { MaxAudience = 1 }, _time);
        var audience = TestRecords.SortedKeys(_other, _third);
        var header = Header();
        header.Audience.Add(audience.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience));

        // Act
        var result = SignAndValidate(header, validator: validator);

        // Assert
        AssertRejected(result, RejectReason.Oversize, "audience of 2 nodes", "limit is 1");
    }

    // --- TimestampInFuture -------------------------------------------------------------------

    [Fact]
    public void Validate_Created6MinutesAhead_IsTimestampInFuture()
    {
        // Arrange
        var header = TestRecords.ValidHeader(_author, _payload, _time.GetUtcNow().AddMinutes(6));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.TimestampInFuture, "300s");
    }

    [Fact]
    public void Validate_Created4MinutesAhead_IsAccepted()
    {
        // Arrange
        var header = TestRecords.ValidHeader(_author, _payload, _time.GetUtcNow().AddMinutes(4));

        // Act
        var result = SignAndValidate(header);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    [Fact]
    public void Validate_Created6MinutesAheadOnceTheClockCatchesUp_IsAccepted()
    {
        // Arrange
        var header = TestRecords.ValidHeader(_author, _payload, _time.GetUtcNow().AddMinutes(6));
        var (bytes, signature) = TestRecords.Sign(_author, header);
        var early = _validator.Validate(bytes, signature, _payload);

        // Act
        _time.Advance(TimeSpan.FromMinutes(2));
        var later = _validator.Validate(bytes, signature, _payload);

        // Assert
        Assert.Equal(RejectReason.TimestampInFuture, early.Rejection?.Reason);
        Assert.True(later.IsValid, later.Rejection?.ToString());
    }

    // --- InvalidTlpAudience ------------------------------------------------------------------

    [Fact]
    public void Validate_RedWithEmptyAudience_IsInvalidTlpAudience()
    {
        // Arrange
        var header = Header();
        header.Tlp = Tlp.Red;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "TLP:RED", "empty");
    }

    [Fact]
    public void Validate_RedWithNamedAudience_IsValid()
    {
        // Arrange
        var audience = TestRecords.SortedKeys(_other, _third);
        var header = Header();
        header.Tlp = Tlp.Red;
        header.Audience.Add(audience.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience, red: true));
        header.Encryption = EncryptionScheme.X25519HkdfXchacha20Poly1305;

        // Act
        var result = SignAndValidate(header);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    [Fact]
    public void Validate_NamedAudienceWithPlainPayload_IsInvalidTlpAudience()
    {
        // Arrange
        var audience = TestRecords.SortedKeys(_other, _third);
        var header = Header();
        header.Tlp = Tlp.Amber;
        header.Audience.Add(audience.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "encrypted");
    }

    [Fact]
    public void Validate_EncryptedPayloadWithoutAudience_IsInvalidTlpAudience()
    {
        // Arrange
        var header = Header();
        header.Encryption = EncryptionScheme.X25519HkdfXchacha20Poly1305;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "audience");
    }

    [Fact]
    public void Validate_RedOnTheNonRedChannelOfItsAudience_IsInvalidTlpAudience()
    {
        // Arrange: RED chains are separate from the chains third parties may relay.
        var audience = TestRecords.SortedKeys(_other, _third);
        var header = Header();
        header.Tlp = Tlp.Red;
        header.Audience.Add(audience.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience, red: false));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "channel");
    }

    [Fact]
    public void Validate_AudienceNotSorted_IsInvalidTlpAudience()
    {
        // Arrange
        var sorted = TestRecords.SortedKeys(_other, _third);
        List<byte[]> descending = [sorted[1], sorted[0]];
        var header = Header();
        header.Tlp = Tlp.Amber;
        header.Audience.Add(descending.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(descending));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "strictly ascending");
    }

    [Fact]
    public void Validate_AudienceWithDuplicateKey_IsInvalidTlpAudience()
    {
        // Arrange
        var key = _other.Id.ToBytes();
        List<byte[]> twice = [key, key];
        var header = Header();
        header.Audience.Add(twice.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(twice));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "no duplicates");
    }

    [Fact]
    public void Validate_AuthorInItsOwnAudience_IsInvalidTlpAudience()
    {
        // Arrange
        var audience = TestRecords.SortedKeys(_author, _other);
        var header = Header();
        header.Audience.Add(audience.Select(ByteString.CopyFrom));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(audience));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "author is listed in its own audience");
    }

    [Fact]
    public void Validate_AudienceEntryOf31Bytes_IsInvalidTlpAudience()
    {
        // Arrange
        var header = Header();
        header.Audience.Add(ByteString.CopyFrom(new byte[31]));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "31 bytes");
    }

    [Fact]
    public void Validate_AudienceOnTheMeshChannel_IsInvalidTlpAudience()
    {
        // Arrange: an audience, but the channel left at the mesh channel.
        var header = Header();
        header.Audience.Add(ByteString.CopyFrom(_other.Id.PublicKey));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "channel");
    }

    [Fact]
    public void Validate_EmptyAudienceOnARestrictedChannel_IsInvalidTlpAudience()
    {
        // Arrange: a restricted channel, but no audience.
        var header = Header();
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(TestRecords.SortedKeys(_other)));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "channel");
    }

    [Fact]
    public void Validate_ChannelOfAnotherAudience_IsInvalidTlpAudience()
    {
        // Arrange
        var header = Header();
        header.Audience.Add(ByteString.CopyFrom(_other.Id.PublicKey));
        header.Channel = ByteString.CopyFrom(Channels.ForAudience(TestRecords.SortedKeys(_third)));

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, "channel is not the one the audience determines");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(9)]
    public void Validate_TlpValueOutsideTlp20_IsInvalidTlpAudience(int tlp)
    {
        // Arrange
        var header = Header();
        header.Tlp = (Tlp)tlp;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.InvalidTlpAudience, $"TLP value {tlp}");
    }

    // --- UnknownKind ---------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(99)]
    public void Validate_KindThisNodeDoesNotKnow_IsUnknownKind(int kind)
    {
        // Arrange
        var header = Header();
        header.Kind = (RecordKind)kind;

        // Act
        var result = SignAndValidate(header);

        // Assert
        AssertRejected(result, RejectReason.UnknownKind, $"kind {kind}");
    }

    // --- WrongMesh -----------------------------------------------------------------------------

    [Fact]
    public void Validate_RecordForAnotherMesh_IsWrongMesh()
    {
        // Arrange
        var ours = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var theirs = Enumerable.Repeat((byte)0x22, 32).ToArray();
        var validator = new RecordValidator(RecordLimits.Default, _time) { ExpectedMeshId = ours };
        var header = Header();
        header.MeshId = ByteString.CopyFrom(theirs);

        // Act
        var result = SignAndValidate(header, validator: validator);

        // Assert
        AssertRejected(result, RejectReason.WrongMesh, Convert.ToHexStringLower(theirs), Convert.ToHexStringLower(ours));
    }

    [Fact]
    public void Validate_RecordForTheExpectedMesh_IsValid()
    {
        // Arrange
        var ours = Enumerable.Repeat((byte)0x11, 32).ToArray();
        var validator = new RecordValidator(RecordLimits.Default, _time) { ExpectedMeshId = ours };
        var header = Header();
        header.MeshId = ByteString.CopyFrom(ours);

        // Act
        var result = SignAndValidate(header, validator: validator);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    // --- InvalidReference ------------------------------------------------------------------------

    [Fact]
    public void Validate_RetractionWithoutRetractsReference_IsInvalidReference()
    {
        // Arrange
        var payload = TestRecords.RetractionPayload(RecordId.FromBytes(Key(7)), "wrong");
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());
        header.Kind = RecordKind.Retraction;
        header.References.Add(new Reference { Type = ReferenceType.ReplyTo, RecordId = ByteString.CopyFrom(Key(7)) });

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        AssertRejected(result, RejectReason.InvalidReference, "RETRACTS");
    }

    [Fact]
    public void Validate_RetractionWithTwoRetractsReferences_IsInvalidReference()
    {
        // Arrange
        var payload = TestRecords.RetractionPayload(RecordId.FromBytes(Key(7)), "wrong");
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());
        header.Kind = RecordKind.Retraction;
        header.References.Add(new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(Key(7)) });
        header.References.Add(new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(Key(8)) });

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        AssertRejected(result, RejectReason.InvalidReference, "exactly one");
    }

    [Fact]
    public void Validate_RetractionWithOneRetractsReference_IsValid()
    {
        // Arrange
        var payload = TestRecords.RetractionPayload(RecordId.FromBytes(Key(7)), "wrong");
        var header = TestRecords.ValidHeader(_author, payload, _time.GetUtcNow());
        header.Kind = RecordKind.Retraction;
        header.References.Add(new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(Key(7)) });

        // Act
        var result = SignAndValidate(header, payload);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    // --- codes -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(RejectReason.Malformed, "MALFORMED")]
    [InlineData(RejectReason.BadSignature, "BAD_SIGNATURE")]
    [InlineData(RejectReason.WrongPayloadHash, "WRONG_PAYLOAD_HASH")]
    [InlineData(RejectReason.InvalidTlpAudience, "INVALID_TLP_AUDIENCE")]
    [InlineData(RejectReason.TimestampInFuture, "TIMESTAMP_IN_FUTURE")]
    public void ReasonCode_OfReason_IsScreamingSnakeCase(RejectReason reason, string code)
    {
        // Act / Assert
        Assert.Equal(code, Rejection.ReasonCode(reason));
    }
}
