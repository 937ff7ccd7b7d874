using System.Globalization;
using System.Text.Json;

namespace I4C.Core.Maturity;

/// <summary>A JSON value that remembers the byte offset where it starts, so errors can name a line and column.</summary>
internal abstract record JsonAt(int Offset)
{
    public abstract string TypeName { get; }
}

internal sealed record JsonObjectAt(int Offset, IReadOnlyList<JsonPropertyAt> Properties) : JsonAt(Offset)
{
    public override string TypeName => "an object";
}

internal sealed record JsonPropertyAt(string Name, int NameOffset, JsonAt Value);

internal sealed record JsonArrayAt(int Offset, IReadOnlyList<JsonAt> Items) : JsonAt(Offset)
{
    public override string TypeName => "an array";
}

internal sealed record JsonStringAt(int Offset, string Value) : JsonAt(Offset)
{
    public override string TypeName => $"the string \"{Value}\"";
}

internal sealed record JsonNumberAt(int Offset, string Raw) : JsonAt(Offset)
{
    public override string TypeName => $"the number {Raw}";

    public bool TryGetInt32(out int value) => int.TryParse(Raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}

internal sealed record JsonBoolAt(int Offset, bool Value) : JsonAt(Offset)
{
    public override string TypeName => Value ? "true" : "false";
}

internal sealed record JsonNullAt(int Offset) : JsonAt(Offset)
{
    public override string TypeName => "null";
}

/// <summary>Thrown for JSON that does not parse; <see cref="Offset"/> is the byte offset of the fault.</summary>
internal sealed class PositionedJsonException(string message, int offset, Exception? inner = null) : Exception(message, inner)
{
    public int Offset { get; } = offset;
}

/// <summary>
/// Reads UTF-8 JSON into <see cref="JsonAt"/> nodes with offsets (Utf8JsonReader's TokenStartIndex), and turns offsets into
/// 1-based line/column positions. Comments and trailing commas are allowed when asked: the answers file is edited by hand.
/// </summary>
internal static class PositionedJson
{
    public static JsonAt Parse(ReadOnlySpan<byte> utf8, bool lenient)
    {
        var bomLength = utf8.StartsWith("\uFEFF"u8) ? 3 : 0;
        var reader = new Utf8JsonReader(utf8[bomLength..], new JsonReaderOptions
        {
            CommentHandling = lenient ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = lenient,
        });
        try
        {
            if (!reader.Read())
            {
                throw new PositionedJsonException("the document is empty", bomLength);
            }
            var root = ReadValue(ref reader, bomLength);
            if (reader.Read())
            {
                throw new PositionedJsonException("there is more after the end of the JSON document", bomLength + (int)reader.TokenStartIndex);
            }
            return root;
        }
        catch (JsonException e)
        {
            var offset = e.LineNumber is { } line && e.BytePositionInLine is { } column
                ? OffsetOf(utf8, line, column)
                : bomLength;
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new PositionedJsonException("not valid JSON: " + (cut > 0 ? message[..cut] : message), offset, e);
        }
    }

    /// <summary>The 1-based line and character column of a byte offset.</summary>
    public static TextPosition PositionOf(ReadOnlySpan<byte> utf8, int offset)
    {
        offset = Math.Clamp(offset, 0, utf8.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        var column = 1;
        var start = lineStart == 0 && utf8.StartsWith("\uFEFF"u8) ? 3 : lineStart; // a byte-order mark is not a column
        for (var i = start; i < offset; i++)
        {
            if ((utf8[i] & 0xC0) != 0x80)
            {
                column++; // count characters, not UTF-8 continuation bytes
            }
        }
        return new TextPosition(line, column);
    }

    // JsonException counts lines from 0 and bytes within the line from 0; the BOM, if any, is not part of what the reader saw.
    private static int OffsetOf(ReadOnlySpan<byte> utf8, long line, long bytePositionInLine)
    {
        var bom = utf8.StartsWith("\uFEFF"u8) ? 3 : 0;
        var offset = bom;
        for (long seen = 0; seen < line && offset < utf8.Length; offset++)
        {
            if (utf8[offset] == (byte)'\n')
            {
                seen++;
            }
        }
        return (int)Math.Min(utf8.Length, offset + bytePositionInLine);
    }

    private static JsonAt ReadValue(ref Utf8JsonReader reader, int shift)
    {
        var offset = shift + (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var properties = new List<JsonPropertyAt>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var nameOffset = shift + (int)reader.TokenStartIndex;
                    var name = reader.GetString()!;
                    reader.Read();
                    properties.Add(new JsonPropertyAt(name, nameOffset, ReadValue(ref reader, shift)));
                }
                return new JsonObjectAt(offset, properties);
            case JsonTokenType.StartArray:
                var items = new List<JsonAt>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, shift));
                }
                return new JsonArrayAt(offset, items);
            case JsonTokenType.String:
                return new JsonStringAt(offset, reader.GetString()!);
            case JsonTokenType.Number:
                return new JsonNumberAt(offset, System.Text.Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.True:
                return new JsonBoolAt(offset, true);
            case JsonTokenType.False:
                return new JsonBoolAt(offset, false);
            case JsonTokenType.Null:
                return new JsonNullAt(offset);
            default:
                throw new PositionedJsonException($"unexpected JSON token {reader.TokenType}", offset);
        }
    }
}
