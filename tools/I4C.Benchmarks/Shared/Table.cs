using System.Text;

namespace I4C.Benchmarks.Shared;

/// <summary>Renders a GitHub-flavoured Markdown table: readable in a terminal, pasteable into docs.</summary>
public static class Table
{
    public static string Render(IReadOnlyList<string> headers, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var builder = new StringBuilder();
        Line(builder, headers, widths, leftAlignFirst: true);
        builder.Append('|');
        for (var i = 0; i < widths.Length; i++)
        {
            builder.Append(i == 0 ? ' ' + new string('-', widths[i]) + " |" : ' ' + new string('-', widths[i] - 1) + ": |");
        }
        builder.AppendLine();
        foreach (var row in rows)
        {
            Line(builder, row, widths, leftAlignFirst: true);
        }
        return builder.ToString().TrimEnd();
    }

    private static void Line(StringBuilder builder, IReadOnlyList<string> cells, int[] widths, bool leftAlignFirst)
    {
        builder.Append('|');
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i == 0 && leftAlignFirst ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]);
            builder.Append(' ').Append(cell).Append(" |");
        }
        builder.AppendLine();
    }
}
