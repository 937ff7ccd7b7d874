using System.Globalization;

namespace I4C.Core.Records;

/// <summary>Parses durations as operators write them: 90m, 12h, 30d, 2w, or ISO 8601 (P30D).</summary>
public static class Durations
{
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
                duration = System.Xml.XmlConvert.ToTimeSpan(t);
                return duration > TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
        }
        var unit = char.ToLowerInvariant(t[^1]);
        if (!double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }
        TimeSpan? result = unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            'w' => TimeSpan.FromDays(7 * n),
            _ => null,
        };
        if (result is null || result.Value > TimeSpan.FromDays(3650))
        {
            return false;
        }
        duration = result.Value;
        return true;
    }
}
