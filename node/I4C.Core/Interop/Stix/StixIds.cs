using System.Security.Cryptography;

namespace I4C.Core.Interop.Stix;

/// <summary>
/// Deterministic STIX identifiers: <c>TYPE--UUIDv5(namespace, name)</c> (RFC 9562, SHA-1 name-based), so the
/// same record always exports to the same ids and a SIEM that pulls twice de-duplicates. The namespace is
/// fixed for I4C Mesh and documented in docs/interop.md; never change it, or every consumer sees new objects.
/// </summary>
public static class StixIds
{
    /// <summary>The I4C Mesh STIX namespace: 1ab819ae-aeb0-45b6-984e-6d1c5443bb0e.</summary>
    public static readonly Guid Namespace = new("1ab819ae-aeb0-45b6-984e-6d1c5443bb0e");

    /// <summary>A name-based (version 5) UUID of <paramref name="name"/> in <paramref name="ns"/>.</summary>
    public static Guid Uuid5(Guid ns, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        ns.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);
        // SHA-1 is what RFC 9562 prescribes for version 5; it names objects here, it protects nothing.
#pragma warning disable CA5350
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>The STIX id <c>TYPE--uuid5(I4C namespace, NAME)</c>.</summary>
    public static string For(string type, string name) => $"{type}--{Uuid5(Namespace, name)}";

    /// <summary>The report (or note) made from a record: name <c>record:HEXID</c>.</summary>
    public static string ForRecord(string type, string recordIdHex) => For(type, "record:" + recordIdHex);

    /// <summary>The indicator made from the record's indicator at <paramref name="index"/> (records are immutable, so the position is stable).</summary>
    public static string ForIndicator(string recordIdHex, int index) => For("indicator", $"record:{recordIdHex}:indicator:{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>The identity of a member node: name <c>node:NODEID</c> (52-character base32 node id).</summary>
    public static string ForNode(string nodeIdText) => For("identity", "node:" + nodeIdText);
}
