using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace I4C.Cli;

/// <summary>Human tables and JSON documents for the CLI's output.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Json(TextWriter writer, JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(node);
        writer.WriteLine(node.ToJsonString(Indented));
    }

    /// <summary>Writes a table with a header row, columns padded to their widest cell.</summary>
    public static void Table(TextWriter writer, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(headers);
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        void Line(IReadOnlyList<string> cells)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < headers.Count; i++)
            {
                var cell = i < cells.Count ? cells[i] : string.Empty;
                sb.Append(i == headers.Count - 1 ? cell : cell.PadRight(widths[i] + 2));
            }
            writer.WriteLine(sb.ToString().TrimEnd());
        }
        Line(headers);
        Line(widths.Select(w => new string('-', w)).ToList());
        foreach (var row in all)
        {
            Line(row);
        }
    }

    /// <summary>Key/value lines, keys aligned.</summary>
    public static void Pairs(TextWriter writer, IEnumerable<(string Key, string Value)> pairs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var list = pairs.ToList();
        var width = list.Count == 0 ? 0 : list.Max(p => p.Key.Length);
        foreach (var (key, value) in list)
        {
            writer.WriteLine($"{(key + ":").PadRight(width + 2)}{value}");
        }
    }

    public static string Time(long unixMs) =>
        unixMs == 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Iso(long unixMs) =>
        unixMs == 0 ? string.Empty : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Ellipsis(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
