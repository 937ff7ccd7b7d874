using System.Security.Cryptography;

namespace I4C.Core.Interop.Misp;

/// <summary>
/// MISP uuids: checking them and deriving stable ones. Derived uuids are RFC 4122 version 5
/// (SHA-1, name-based) in the namespace <see cref="Namespace"/>, itself
/// uuid5(NAMESPACE_URL, "urn:i4c:misp"), so any uuid library reproduces them; e.g. a native
/// record's event uuid is uuid5(Namespace, "i4c:record:" + the record id in hex). SHA-1 is
/// used here only because RFC 4122 names it; nothing rests on its strength.
/// </summary>
public static class MispUuid
{
    public const string Namespace = "0c153e38-2f36-5103-b104-c2f4600ab90d";

    /// <summary>The canonical lower-case form of a uuid in MISP's 8-4-4-4-12 layout, or null when it is not one.</summary>
    public static string? Normalize(string? text)
    {
        var t = text?.Trim() ?? string.Empty;
        return t.Length == 36 && Guid.TryParseExact(t, "D", out var guid) ? guid.ToString("D") : null;
    }

    public static bool IsValid(string? text) => Normalize(text) is not null;

    /// <summary>uuid5(<see cref="Namespace"/>, <paramref name="name"/>).</summary>
    public static string Derive(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var ns = Guid.ParseExact(Namespace, "D").ToByteArray(bigEndian: true);
        var data = new byte[ns.Length + System.Text.Encoding.UTF8.GetByteCount(name)];
        ns.CopyTo(data, 0);
        System.Text.Encoding.UTF8.GetBytes(name, 0, name.Length, data, ns.Length);
#pragma warning disable CA5350 // RFC 4122 version 5 is defined with SHA-1; an identifier, not a security function.
        var hash = SHA1.HashData(data);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    /// <summary>The event uuid the MISP export gives a record that did not come from MISP.</summary>
    public static string ForRecord(string recordIdHex) => Derive("i4c:record:" + recordIdHex);
}
