using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>TLP 2.0 labels: parsing, display and order (CLEAR &lt; GREEN &lt; AMBER &lt; AMBER+STRICT &lt; RED).</summary>
public static class TlpLabels
{
    public static readonly Tlp[] All = [Tlp.Clear, Tlp.Green, Tlp.Amber, Tlp.AmberStrict, Tlp.Red];

    /// <summary>Parses clear, green, amber, amber+strict, red (case-insensitive, optional "tlp:" prefix; "white" is TLP 1.0's CLEAR).</summary>
    public static bool TryParse(string? text, out Tlp tlp)
    {
        var t = text?.Trim().ToLowerInvariant() ?? string.Empty;
        if (t.StartsWith("tlp:", StringComparison.Ordinal))
        {
            t = t[4..];
        }
        tlp = t switch
        {
            "clear" or "white" => Tlp.Clear,
            "green" => Tlp.Green,
            "amber" => Tlp.Amber,
            "amber+strict" or "amber-strict" or "amber_strict" => Tlp.AmberStrict,
            "red" => Tlp.Red,
            _ => Tlp.Unspecified,
        };
        return tlp != Tlp.Unspecified;
    }

    public static bool IsDefined(Tlp tlp) => tlp is Tlp.Clear or Tlp.Green or Tlp.Amber or Tlp.AmberStrict or Tlp.Red;

    /// <summary>The label as TLP 2.0 writes it: "TLP:AMBER+STRICT".</summary>
    public static string Display(Tlp tlp) => tlp switch
    {
        Tlp.Clear => "TLP:CLEAR",
        Tlp.Green => "TLP:GREEN",
        Tlp.Amber => "TLP:AMBER",
        Tlp.AmberStrict => "TLP:AMBER+STRICT",
        Tlp.Red => "TLP:RED",
        _ => "TLP:?",
    };

    /// <summary>The short form used on the command line: clear, green, amber, amber+strict, red.</summary>
    public static string Short(Tlp tlp) => tlp switch
    {
        Tlp.Clear => "clear",
        Tlp.Green => "green",
        Tlp.Amber => "amber",
        Tlp.AmberStrict => "amber+strict",
        Tlp.Red => "red",
        _ => "unspecified",
    };

    public static Tlp Strictest(Tlp a, Tlp b) => (int)a >= (int)b ? a : b;
}
