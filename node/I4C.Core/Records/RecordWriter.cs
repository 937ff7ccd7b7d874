using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>What an author wants to publish, before it has a place in a chain.</summary>
public sealed record RecordDraft
{
    public required RecordKind Kind { get; init; }
    public required Tlp Tlp { get; init; }
    public required byte[] Payload { get; init; }
    /// <summary>Recipients, any order; canonicalised by the writer. Empty = all members.</summary>
    public IReadOnlyList<NodeId> Audience { get; init; } = [];
    public EncryptionScheme Encryption { get; init; } = EncryptionScheme.None;
    public long ExpiresUnixMs { get; init; }
    public IReadOnlyList<Reference> References { get; init; } = [];
    public bool ReceiptsRequested { get; init; }
    public byte[] MeshId { get; init; } = [];
}

/// <summary>Builds and signs headers. The header bytes are produced once here and never again.</summary>
public static class RecordWriter
{
    /// <summary>The channel a draft will be written on.</summary>
    public static byte[] ChannelOf(RecordDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return Channels.ForAudience(Channels.CanonicalAudience(draft.Audience), draft.Tlp == Tlp.Red);
    }

    /// <summary>Signs the draft as record <paramref name="seq"/> after <paramref name="prev"/> on its channel.</summary>
    public static SignedRecord Sign(NodeIdentity author, RecordDraft draft, ulong seq, RecordId prev, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(draft);
        var audience = Channels.CanonicalAudience(draft.Audience);
        var header = new RecordHeader
        {
            Version = RecordValidator.HeaderVersion,
            MeshId = ByteString.CopyFrom(draft.MeshId),
            Author = ByteString.CopyFrom(author.Id.PublicKey),
            Channel = ByteString.CopyFrom(Channels.ForAudience(audience, draft.Tlp == Tlp.Red)),
            Seq = seq,
            Prev = seq == 1 ? ByteString.Empty : ByteString.CopyFrom(prev.Span),
            CreatedUnixMs = now.ToUnixTimeMilliseconds(),
            Tlp = draft.Tlp,
            Kind = draft.Kind,
            PayloadHash = ByteString.CopyFrom(SHA256.HashData(draft.Payload)),
            PayloadSize = (ulong)draft.Payload.Length,
            Encryption = draft.Encryption,
            ExpiresUnixMs = draft.ExpiresUnixMs,
            ReceiptsRequested = draft.ReceiptsRequested,
        };
        header.Audience.AddRange(audience.Select(ByteString.CopyFrom));
        header.References.AddRange(draft.References);
        var headerBytes = header.ToByteArray();
        return new SignedRecord
        {
            Header = ByteString.CopyFrom(headerBytes),
            Signature = ByteString.CopyFrom(author.Sign(RecordSignature.SignedBytes(headerBytes))),
            Payload = ByteString.CopyFrom(draft.Payload),
        };
    }
}
