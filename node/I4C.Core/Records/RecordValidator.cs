using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>
/// Checks everything about a record that needs no store: size limits, header shape,
/// signature, kind, TLP and audience, clock skew, payload hash. Chain checks need the
/// store and live in <see cref="ChainRules"/>. Every rejection carries one precise
/// <see cref="RejectReason"/>. Verification reads the bytes as received and never
/// re-serializes the header.
/// </summary>
public sealed class RecordValidator
{
    public const uint HeaderVersion = 1;

    private readonly RecordLimits _limits;
    private readonly TimeProvider _time;

    public RecordValidator(RecordLimits limits, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(time);
        _limits = limits;
        _time = time;
    }

    public RecordLimits Limits => _limits;

    /// <summary>The mesh id records must carry; null accepts any (before a mesh is adopted).</summary>
    public byte[]? ExpectedMeshId { get; set; }

    public ValidationResult Validate(SignedRecord wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        return Validate(Bytes(wire.Header), Bytes(wire.Signature), wire.HasPayload ? Bytes(wire.Payload) : null);
    }

    /// <summary>
    /// The bytes of a ByteString without a copy when it owns exactly one array (what the protobuf
    /// parser and ByteString.CopyFrom make: a fresh array nothing else holds, never written again);
    /// a copy otherwise.
    /// </summary>
    private static byte[] Bytes(ByteString bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes.Memory, out var segment) &&
        segment.Array is { } array && segment.Offset == 0 && segment.Count == array.Length
            ? array
            : bytes.ToByteArray();

    /// <summary>Validates a record given as header bytes, signature and payload (null when absent). The arrays are kept, not copied.</summary>
    public ValidationResult Validate(byte[] headerBytes, byte[] signature, byte[]? payload)
    {
        ArgumentNullException.ThrowIfNull(headerBytes);
        ArgumentNullException.ThrowIfNull(signature);
        if (headerBytes.Length > _limits.MaxHeaderBytes)
        {
            return Fail(RejectReason.Oversize, $"header is {headerBytes.Length} bytes, the limit is {_limits.MaxHeaderBytes}");
        }
        if (payload is not null && payload.Length > _limits.MaxPayloadBytes)
        {
            return Fail(RejectReason.Oversize, $"payload is {payload.Length} bytes, the limit is {_limits.MaxPayloadBytes}");
        }
        if (headerBytes.Length == 0)
        {
            return Fail(RejectReason.Malformed, "header is empty");
        }
        if (signature.Length != RecordSignature.Length)
        {
            return Fail(RejectReason.Malformed, $"signature is {signature.Length} bytes, an Ed25519 signature is {RecordSignature.Length}");
        }

        RecordHeader header;
        try
        {
            header = RecordHeader.Parser.ParseFrom(new ReadOnlySpan<byte>(headerBytes));
        }
        catch (InvalidProtocolBufferException ex)
        {
            return Fail(RejectReason.Malformed, $"header does not parse: {ex.Message}");
        }

        if (header.Version != HeaderVersion)
        {
            return Fail(RejectReason.UnsupportedVersion, $"header version {header.Version}; this node speaks version {HeaderVersion}");
        }
        if (header.Author.Length != 32)
        {
            return Fail(RejectReason.Malformed, $"author is {header.Author.Length} bytes, an Ed25519 public key is 32");
        }
        if (!RecordSignature.Verify(header.Author.Span, headerBytes, signature))
        {
            return Fail(RejectReason.BadSignature, "the signature does not verify against the author's key over these header bytes");
        }

        var shape = CheckShape(header);
        if (shape is not null)
        {
            return new ValidationResult(null, shape);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (header.CreatedUnixMs > now + (long)_limits.MaxClockSkew.TotalMilliseconds)
        {
            return Fail(RejectReason.TimestampInFuture,
                $"created {DateTimeOffset.FromUnixTimeMilliseconds(header.CreatedUnixMs):O} is more than {_limits.MaxClockSkew.TotalSeconds:0}s ahead of this node's clock");
        }

        if (payload is { } body)
        {
            if ((ulong)body.Length != header.PayloadSize)
            {
                return Fail(RejectReason.WrongPayloadHash, $"payload is {body.Length} bytes, the header says {header.PayloadSize}");
            }
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(body, hash);
            if (!hash.SequenceEqual(header.PayloadHash.Span))
            {
                return Fail(RejectReason.WrongPayloadHash, "the payload's SHA-256 differs from the header's payload_hash");
            }
            // An encrypted payload is checked by its readers when they open it (the node's benchmark does for assessments).
            if (header.Encryption == EncryptionScheme.None && PayloadCodec.Problem(header.Kind, body) is { } problem)
            {
                return Fail(RejectReason.Malformed, problem);
            }
        }

        return new ValidationResult(new ValidatedRecord(headerBytes, signature, payload, header), null);
    }

    private Rejection? CheckShape(RecordHeader header)
    {
        if (!RecordKinds.IsKnown(header.Kind))
        {
            return new(RejectReason.UnknownKind, $"kind {(int)header.Kind} is not one this node knows");
        }
        if (!TlpLabels.IsDefined(header.Tlp))
        {
            return new(RejectReason.InvalidTlpAudience, $"TLP value {(int)header.Tlp} is not a TLP 2.0 label");
        }
        if (ExpectedMeshId is { } mesh && header.MeshId.Length > 0 && !header.MeshId.Span.SequenceEqual(mesh))
        {
            return new(RejectReason.WrongMesh, $"record is for mesh {Convert.ToHexStringLower(header.MeshId.Span)}, this node is in mesh {Convert.ToHexStringLower(mesh)}");
        }
        if (header.MeshId.Length is not (0 or 32))
        {
            return new(RejectReason.Malformed, $"mesh_id is {header.MeshId.Length} bytes; it is empty or 32");
        }
        if (header.Channel.Length != Channels.Length)
        {
            return new(RejectReason.Malformed, $"channel is {header.Channel.Length} bytes, it is {Channels.Length}");
        }
        if (header.Seq == 0)
        {
            return new(RejectReason.Malformed, "seq is 0; chains start at 1");
        }
        if (header.Seq == 1 ? header.Prev.Length != 0 : header.Prev.Length != RecordId.Length)
        {
            return new(RejectReason.Malformed, header.Seq == 1
                ? "seq 1 must have an empty prev"
                : $"prev is {header.Prev.Length} bytes, a record id is {RecordId.Length}");
        }
        if (header.PayloadHash.Length != 32)
        {
            return new(RejectReason.Malformed, $"payload_hash is {header.PayloadHash.Length} bytes, a SHA-256 is 32");
        }
        if (header.PayloadSize > (ulong)_limits.MaxPayloadBytes)
        {
            return new(RejectReason.Oversize, $"payload_size {header.PayloadSize} exceeds the limit of {_limits.MaxPayloadBytes} bytes");
        }
        if (!Enum.IsDefined(header.Encryption))
        {
            return new(RejectReason.Malformed, $"encryption scheme {(int)header.Encryption} is unknown");
        }
        if (header.ExpiresUnixMs < 0 || (header.ExpiresUnixMs != 0 && header.ExpiresUnixMs <= header.CreatedUnixMs))
        {
            return new(RejectReason.Malformed, "expires_unix_ms must be 0 (never) or later than created_unix_ms");
        }
        if (header.References.Count > _limits.MaxReferences)
        {
            return new(RejectReason.Oversize, $"{header.References.Count} references, the limit is {_limits.MaxReferences}");
        }
        foreach (var reference in header.References)
        {
            if (reference.RecordId.Length != RecordId.Length || reference.Type == ReferenceType.Unspecified || !Enum.IsDefined(reference.Type))
            {
                return new(RejectReason.Malformed, "a reference needs a known type and a 32-byte record id");
            }
        }
        if (header.Kind == RecordKind.Retraction && header.References.Count(r => r.Type == ReferenceType.Retracts) != 1)
        {
            return new(RejectReason.InvalidReference, "a retraction names exactly one record with a RETRACTS reference");
        }
        return CheckAudience(header);
    }

    private Rejection? CheckAudience(RecordHeader header)
    {
        if (header.Audience.Count > _limits.MaxAudience)
        {
            return new(RejectReason.Oversize, $"audience of {header.Audience.Count} nodes, the limit is {_limits.MaxAudience}");
        }
        if (header.Tlp == Tlp.Red && header.Audience.Count == 0)
        {
            return new(RejectReason.InvalidTlpAudience, "TLP:RED needs named recipients; the audience is empty");
        }
        var audience = new List<byte[]>(header.Audience.Count);
        foreach (var member in header.Audience)
        {
            if (member.Length != 32)
            {
                return new(RejectReason.InvalidTlpAudience, $"an audience entry is {member.Length} bytes, a node key is 32");
            }
            if (member.Span.SequenceEqual(header.Author.Span))
            {
                return new(RejectReason.InvalidTlpAudience, "the author is listed in its own audience");
            }
            if (audience.Count > 0 && audience[^1].AsSpan().SequenceCompareTo(member.Span) >= 0)
            {
                return new(RejectReason.InvalidTlpAudience, "audience keys are not strictly ascending (sorted, no duplicates)");
            }
            audience.Add(member.ToByteArray());
        }
        if (!header.Channel.Span.SequenceEqual(Channels.ForAudience(audience, header.Tlp == Tlp.Red)))
        {
            return new(RejectReason.InvalidTlpAudience, "the channel is not the one the audience determines");
        }
        if (audience.Count > 0 && header.Encryption == EncryptionScheme.None)
        {
            return new(RejectReason.InvalidTlpAudience, "a record for an explicit audience must have its payload encrypted to that audience");
        }
        if (audience.Count > 0 && IsMembership(header.Kind))
        {
            return new(RejectReason.InvalidTlpAudience, $"{RecordKinds.Name(header.Kind)} records go to all members; they cannot have an explicit audience");
        }
        if (audience.Count == 0 && header.Encryption != EncryptionScheme.None)
        {
            return new(RejectReason.InvalidTlpAudience, "an encrypted payload needs an explicit audience");
        }
        return null;
    }

    /// <summary>Membership kinds: every member must see them to compute the same roster.</summary>
    public static bool IsMembership(RecordKind kind) => kind is RecordKind.Charter or RecordKind.MemberCard or RecordKind.Endorsement
        or RecordKind.AgreementSignature or RecordKind.Revocation or RecordKind.KeyRotation or RecordKind.ForkProof;

    private static ValidationResult Fail(RejectReason reason, string detail) => new(null, new Rejection(reason, detail));
}

/// <summary>Either a validated record or the reason it was refused.</summary>
public readonly record struct ValidationResult(ValidatedRecord? Record, Rejection? Rejection)
{
    public bool IsValid => Record is not null;
}
