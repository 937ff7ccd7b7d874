using System.Globalization;

namespace I4C.Core.Records;

/// <summary>Parses durations as operators write them: 90m, 12h, 30d, 2w, or ISO 8601 (P30D).</summary>
public static class Durations
{
    /// <summary>The longest duration accepted, in either form.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t))
        {
            return false;
        }
        if (t.StartsWith('P'))
        {
            try
            {
                var iso = System.Xml.XmlConvert.ToTimeSpan(t);
                if (iso <= TimeSpan.Zero || iso > Max)
                {
                    return false;
                }
                duration = iso;
                return true;
            }
            catch (Exception ex) when (ex is FormatException or OverflowException)
            {
                return false;
            }
        }
        var unit = char.ToLowerInvariant(t[^1]);
        if (!double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }
        // Compare in days before building a TimeSpan: TimeSpan.From* throws on overflow.
        double days = unit switch
        {
            's' => n / 86_400,
            'm' => n / 1_440,
            'h' => n / 24,
            'd' => n,
            'w' => 7 * n,
            _ => double.NaN,
        };
        if (double.IsNaN(days) || days > Max.TotalDays)
        {
            return false;
        }
        duration = unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
        return true;
    }
}
