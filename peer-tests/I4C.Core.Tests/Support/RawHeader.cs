using Google.Protobuf;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Support;

/// <summary>
/// Writes a RecordHeader's set fields by hand with <see cref="CodedOutputStream"/>, in
/// field-number order or reversed, so a test can produce an encoding the library would
/// never produce itself.
/// </summary>
internal static class RawHeader
{
    public static byte[] Encode(RecordHeader h, bool reversed = false)
    {
        ArgumentNullException.ThrowIfNull(h);
        var fields = new List<Action<CodedOutputStream>>();
        if (h.Version != 0)
        {
            fields.Add(o => { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteUInt32(h.Version); });
        }
        AddBytes(fields, 2, h.MeshId);
        AddBytes(fields, 3, h.Author);
        AddBytes(fields, 4, h.Channel);
        if (h.Seq != 0)
        {
            fields.Add(o => { o.WriteTag(5, WireFormat.WireType.Varint); o.WriteUInt64(h.Seq); });
        }
        AddBytes(fields, 6, h.Prev);
        if (h.CreatedUnixMs != 0)
        {
            fields.Add(o => { o.WriteTag(7, WireFormat.WireType.Varint); o.WriteInt64(h.CreatedUnixMs); });
        }
        if (h.Tlp != 0)
        {
            fields.Add(o => { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteEnum((int)h.Tlp); });
        }
        foreach (var member in h.Audience)
        {
            fields.Add(o => { o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(member); });
        }
        if (h.Kind != 0)
        {
            fields.Add(o => { o.WriteTag(10, WireFormat.WireType.Varint); o.WriteEnum((int)h.Kind); });
        }
        AddBytes(fields, 11, h.PayloadHash);
        if (h.PayloadSize != 0)
        {
            fields.Add(o => { o.WriteTag(12, WireFormat.WireType.Varint); o.WriteUInt64(h.PayloadSize); });
        }
        if (h.Encryption != 0)
        {
            fields.Add(o => { o.WriteTag(13, WireFormat.WireType.Varint); o.WriteEnum((int)h.Encryption); });
        }
        if (h.ExpiresUnixMs != 0)
        {
            fields.Add(o => { o.WriteTag(14, WireFormat.WireType.Varint); o.WriteInt64(h.ExpiresUnixMs); });
        }
        foreach (var reference in h.References)
        {
            fields.Add(o => { o.WriteTag(15, WireFormat.WireType.LengthDelimited); o.WriteMessage(reference); });
        }
        if (h.ReceiptsRequested)
        {
            fields.Add(o => { o.WriteTag(16, WireFormat.WireType.Varint); o.WriteBool(true); });
        }
        if (reversed)
        {
            fields.Reverse();
        }
        return Write(o => fields.ForEach(f => f(o)));
    }

    /// <summary>An unknown varint field (number 99), to append to valid header bytes.</summary>
    public static byte[] UnknownVarintField(int fieldNumber = 99, ulong value = 1) =>
        Write(o => { o.WriteTag(fieldNumber, WireFormat.WireType.Varint); o.WriteUInt64(value); });

    private static void AddBytes(List<Action<CodedOutputStream>> fields, int number, ByteString value)
    {
        if (!value.IsEmpty)
        {
            fields.Add(o => { o.WriteTag(number, WireFormat.WireType.LengthDelimited); o.WriteBytes(value); });
        }
    }

    private static byte[] Write(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
            output.Flush();
        }
        return stream.ToArray();
    }
}
