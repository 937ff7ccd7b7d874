namespace I4C.Core.Encoding;

/// <summary>RFC 4648 base32 without padding, used for node ids and fingerprints.</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, o = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[o++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            chars[o++] = Alphabet[(buffer << (5 - bits)) & 31];
        }
        return new string(chars, 0, o);
    }

    /// <summary>Decodes case-insensitively; returns false on any character outside the alphabet or on non-zero trailing bits.</summary>
    public static bool TryDecode(string text, out byte[] data)
    {
        ArgumentNullException.ThrowIfNull(text);
        data = [];
        var result = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, o = 0;
        foreach (var ch in text)
        {
            var c = char.ToUpperInvariant(ch);
            var v = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (v < 0)
            {
                return false;
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8)
            {
                result[o++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
            buffer &= (1 << bits) - 1;
        }
        if (buffer != 0)
        {
            return false;
        }
        data = result;
        return true;
    }
}
