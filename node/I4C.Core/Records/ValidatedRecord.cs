using I4C.Core.Identity;
using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>
/// A record whose header parsed and whose signature, shape and payload hash were
/// checked by <see cref="RecordValidator"/>. Only the validator makes these, so a
/// store that takes one knows the standalone checks ran. The bytes are kept exactly
/// as received.
/// </summary>
public sealed class ValidatedRecord
{
    internal ValidatedRecord(byte[] headerBytes, byte[] signature, byte[]? payload, RecordHeader header)
    {
        HeaderBytes = headerBytes;
        Signature = signature;
        Payload = payload;
        Header = header;
        Id = RecordId.OfHeader(headerBytes);
        Author = NodeId.FromPublicKey(header.Author.Span);
    }

    public RecordId Id { get; }

    public NodeId Author { get; }

    /// <summary>The header exactly as signed.</summary>
    public byte[] HeaderBytes { get; }

    public byte[] Signature { get; }

    /// <summary>The payload, or null when it travelled without one (purged).</summary>
    public byte[]? Payload { get; }

    /// <summary>The parsed header, for reading fields. Never re-serialized.</summary>
    public RecordHeader Header { get; }

    public ulong Seq => Header.Seq;

    public ReadOnlySpan<byte> Channel => Header.Channel.Span;

    /// <summary>The same record without its payload (what a purge leaves).</summary>
    public ValidatedRecord WithoutPayload() => new(HeaderBytes, Signature, null, Header);

    public SignedRecord ToWire()
    {
        var wire = new SignedRecord
        {
            Header = Google.Protobuf.ByteString.CopyFrom(HeaderBytes),
            Signature = Google.Protobuf.ByteString.CopyFrom(Signature),
        };
        if (Payload is not null)
        {
            wire.Payload = Google.Protobuf.ByteString.CopyFrom(Payload);
        }
        return wire;
    }
}
