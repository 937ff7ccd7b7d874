using Google.Protobuf.Reflection;

namespace I4C.Core.Encoding;

/// <summary>
/// Whether bytes are what <c>MessageParser.ParseFrom</c> of a message type accepts, without building the
/// message: no strings, no objects, no copies. The receiving node checks every plain payload this way
/// (a catch-up checks hundreds of thousands); decoding each one only to throw it away allocated about
/// 2.5 KiB per 1 KiB advisory.
/// <para>
/// The rules are Google.Protobuf's: tags with a field number above 0 and a wire type of 0–5; varints of at
/// most 10 bytes; lengths that are not negative and stay inside the enclosing message; UTF-8 in every
/// known string field; known message fields checked recursively; packed known repeated scalars made of whole
/// values; unknown fields skipped, unknown groups closed by the matching end-group tag; at most 100 levels
/// of nested messages and groups. <c>WireCheckTests</c> compares it with the parser on valid, mutated
/// and random inputs for every payload type. One quirk is kept on purpose: inside a map entry the parser
/// skips nothing for a tag of wire type 6 or 7 and reads on (no payload type has a map).
/// </para>
/// </summary>
public static class WireCheck
{
    /// <summary>Google.Protobuf's default recursion limit.</summary>
    public const int RecursionLimit = 100;

    /// <summary>Null when <paramref name="data"/> parses as <paramref name="descriptor"/>'s message type, else why not.</summary>
    public static string? Problem(MessageDescriptor descriptor, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var position = 0;
        return Fields(descriptor, data, ref position, data.Length, depth: 0, group: 0);
    }

    /// <summary>
    /// Walks fields from <paramref name="position"/> to <paramref name="end"/>. Inside an unknown group
    /// (<paramref name="group"/> = its field number) the walk stops after the matching end-group tag.
    /// </summary>
    private static string? Fields(MessageDescriptor? descriptor, ReadOnlySpan<byte> data, ref int position, int end, int depth, int group)
    {
        while (position < end)
        {
            if (!Varint(data, ref position, end, out var raw))
            {
                return "a tag is truncated or longer than 10 bytes";
            }
            var tag = (uint)raw;
            var field = (int)(tag >> 3);
            if (field == 0)
            {
                return "a tag has field number 0";
            }
            switch (tag & 7)
            {
                case 0:
                    if (!Varint(data, ref position, end, out _))
                    {
                        return $"field {field}: a varint is truncated or longer than 10 bytes";
                    }
                    break;
                case 1:
                    if (end - position < 8)
                    {
                        return $"field {field}: a fixed64 is truncated";
                    }
                    position += 8;
                    break;
                case 5:
                    if (end - position < 4)
                    {
                        return $"field {field}: a fixed32 is truncated";
                    }
                    position += 4;
                    break;
                case 2:
                    if (LengthDelimited(descriptor?.FindFieldByNumber(field), field, data, ref position, end, depth) is { } problem)
                    {
                        return problem;
                    }
                    break;
                case 3:
                    if (depth >= RecursionLimit)
                    {
                        return $"field {field}: more than {RecursionLimit} levels of nesting";
                    }
                    if (Fields(null, data, ref position, end, depth + 1, field) is { } inGroup)
                    {
                        return inGroup;
                    }
                    break;
                case 4:
                    return field == group ? null : $"field {field}: an end-group tag without its start";
                default:
                    if (descriptor?.IsMapEntry == true)
                    {
                        break; // Google.Protobuf skips nothing for such a tag inside a map entry, and reads on
                    }
                    return $"field {field}: wire type {tag & 7} does not exist";
            }
        }
        return group == 0 ? null : $"field {group}: a group is not closed";
    }

    private static string? LengthDelimited(FieldDescriptor? known, int field, ReadOnlySpan<byte> data, ref int position, int end, int depth)
    {
        if (!Varint(data, ref position, end, out var raw))
        {
            return $"field {field}: a length is truncated or longer than 10 bytes";
        }
        var length = (int)(uint)raw;
        if (length < 0)
        {
            return $"field {field}: a negative length";
        }
        if (length > end - position)
        {
            return $"field {field}: {length} bytes announced, {end - position} left";
        }
        var start = position;
        position += length;
        switch (known?.FieldType)
        {
            case FieldType.String:
                return System.Text.Unicode.Utf8.IsValid(data.Slice(start, length)) ? null : $"field {field} ({known.Name}): invalid UTF-8";
            case FieldType.Message:
                if (depth >= RecursionLimit)
                {
                    return $"field {field}: more than {RecursionLimit} levels of nesting";
                }
                var inner = start;
                return Fields(known.MessageType, data, ref inner, start + length, depth + 1, group: 0) is { } problem
                    ? $"field {field} ({known.Name}): {problem}"
                    : null;
            case { } type when known.IsRepeated && FixedSize(type) is var size && size >= 0:
                return Packed(data.Slice(start, length), size) ? null : $"field {field} ({known.Name}): packed values are truncated";
            default:
                return null; // bytes, or an unknown field: skipped
        }
    }

    /// <summary>Whether packed scalars of <paramref name="size"/> bytes each (0: varints) fill the span exactly.</summary>
    private static bool Packed(ReadOnlySpan<byte> data, int size)
    {
        if (size > 0)
        {
            return data.Length % size == 0;
        }
        var position = 0;
        while (position < data.Length)
        {
            if (!Varint(data, ref position, data.Length, out _))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Bytes per packed value (0 for varints), or -1 for a type that is never packed.</summary>
    private static int FixedSize(FieldType type) => type switch
    {
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => 8,
        FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => 4,
        FieldType.Int32 or FieldType.Int64 or FieldType.UInt32 or FieldType.UInt64 or FieldType.SInt32 or FieldType.SInt64
            or FieldType.Bool or FieldType.Enum => 0,
        _ => -1,
    };

    /// <summary>Reads a varint of at most 10 bytes ending before <paramref name="end"/>.</summary>
    private static bool Varint(ReadOnlySpan<byte> data, ref int position, int end, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= end)
            {
                return false;
            }
            var b = data[position++];
            if (shift < 64)
            {
                value |= (ulong)(b & 0x7f) << shift;
            }
            if (b < 0x80)
            {
                return true;
            }
        }
        return false;
    }
}
