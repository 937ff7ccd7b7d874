using System.Security.Cryptography;
using I4C.Core.Encoding;

namespace I4C.Core.Identity;

/// <summary>
/// A node's identity as others see it: its Ed25519 public key. The text form is the
/// lower-case base32 of the key (52 characters); the <see cref="Fingerprint"/> is a
/// short digest for comparing out of band.
/// </summary>
public sealed class NodeId : IEquatable<NodeId>
{
    public const int KeyLength = 32;
    private readonly byte[] _key;
    private string? _text;

    private NodeId(byte[] key) => _key = key;

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _key;

    /// <summary>
    /// The 52-character lower-case base32 text form. Made on first use: every received record carries
    /// its author's id, and most are compared by key, never printed.
    /// </summary>
    public string Text => _text ??= Base32.Encode(_key).ToLowerInvariant();

    /// <summary>A short human fingerprint, e.g. <c>K7QD-3MZB-XW2A-4FTE</c>: base32 of the first 80 bits of SHA-256("I4C-FINGERPRINT-V1" || key).</summary>
    public string Fingerprint
    {
        get
        {
            Span<byte> input = stackalloc byte[FingerprintPrefix.Length + KeyLength];
            FingerprintPrefix.CopyTo(input);
            _key.CopyTo(input[FingerprintPrefix.Length..]);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(input, hash);
            var text = Base32.Encode(hash[..10]);
            return string.Join('-', text[..4], text[4..8], text[8..12], text[12..16]);
        }
    }

    private static ReadOnlySpan<byte> FingerprintPrefix => "I4C-FINGERPRINT-V1"u8;

    public static NodeId FromPublicKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"A node id is a {KeyLength}-byte Ed25519 public key; got {key.Length} bytes.", nameof(key));
        }
        return new NodeId(key.ToArray());
    }

    public static bool TryParse(string? text, out NodeId? id)
    {
        id = null;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Length != 52)
        {
            return false;
        }
        if (!Base32.TryDecode(text.Trim(), out var bytes) || bytes.Length != KeyLength)
        {
            return false;
        }
        id = new NodeId(bytes);
        return true;
    }

    public static NodeId Parse(string text) =>
        TryParse(text, out var id) ? id! : throw new FormatException($"'{text}' is not a node id (52 base32 characters, as `i4c status` shows).");

    public byte[] ToBytes() => (byte[])_key.Clone();

    public bool Equals(NodeId? other) => other is not null && _key.AsSpan().SequenceEqual(other._key);

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(_key, 0);

    public override string ToString() => Text;
}
