using System.Text.Json.Nodes;
using I4C.Protocol.V1;

namespace I4C.Core.Interop.Stix;

/// <summary>
/// The TLP 2.0 marking definitions published by OASIS (extension
/// extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d, property <c>tlp_2_0</c>), exactly as published:
/// fixed ids, created 2022-10-01T00:00:00.000Z, names "TLP:CLEAR" … "TLP:RED".
/// </summary>
public static class StixMarkings
{
    public const string Tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
    public const string Created = "2022-10-01T00:00:00.000Z";

    public const string Clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
    public const string Green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    public const string Amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    public const string AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
    public const string Red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

    /// <summary>The marking definition id of a label.</summary>
    public static string IdOf(Tlp tlp) => tlp switch
    {
        Tlp.Clear => Clear,
        Tlp.Green => Green,
        Tlp.Amber => Amber,
        Tlp.AmberStrict => AmberStrict,
        Tlp.Red => Red,
        _ => throw new ArgumentOutOfRangeException(nameof(tlp), tlp, "a record always carries one of the five TLP labels"),
    };

    /// <summary>The <c>tlp_2_0</c> value: clear, green, amber, amber+strict, red.</summary>
    public static string ValueOf(Tlp tlp) => tlp switch
    {
        Tlp.Clear => "clear",
        Tlp.Green => "green",
        Tlp.Amber => "amber",
        Tlp.AmberStrict => "amber+strict",
        Tlp.Red => "red",
        _ => throw new ArgumentOutOfRangeException(nameof(tlp), tlp, "a record always carries one of the five TLP labels"),
    };

    /// <summary>The marking-definition object of a label.</summary>
    public static JsonObject Definition(Tlp tlp) => new()
    {
        ["type"] = "marking-definition",
        ["spec_version"] = "2.1",
        ["id"] = IdOf(tlp),
        ["created"] = Created,
        ["name"] = Records.TlpLabels.Display(tlp),
        ["extensions"] = new JsonObject
        {
            [Tlp2Extension] = new JsonObject
            {
                ["extension_type"] = "property-extension",
                ["tlp_2_0"] = ValueOf(tlp),
            },
        },
    };
}
