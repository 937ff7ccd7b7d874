using NSec.Cryptography;

namespace I4C.Core.Records;

/// <summary>
/// The record signature: Ed25519 over "I4C-RECORD-V1" || 0x00 || the exact header bytes.
/// The prefix separates record signatures from every other thing a node key signs.
/// </summary>
public static class RecordSignature
{
    public const int Length = 64;

    public static ReadOnlySpan<byte> DomainPrefix => "I4C-RECORD-V1\0"u8;

    public static byte[] SignedBytes(ReadOnlySpan<byte> header)
    {
        var buffer = new byte[DomainPrefix.Length + header.Length];
        WriteSignedBytes(header, buffer);
        return buffer;
    }

    private static void WriteSignedBytes(ReadOnlySpan<byte> header, Span<byte> destination)
    {
        DomainPrefix.CopyTo(destination);
        header.CopyTo(destination[DomainPrefix.Length..]);
    }

    public static bool Verify(ReadOnlySpan<byte> authorKey, ReadOnlySpan<byte> header, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Length ||
            !PublicKey.TryImport(SignatureAlgorithm.Ed25519, authorKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }
        // Every received record comes through here: a header of ordinary size is prefixed on the stack.
        var length = DomainPrefix.Length + header.Length;
        var signed = length <= MaxStackBytes ? stackalloc byte[length] : new byte[length];
        WriteSignedBytes(header, signed);
        return SignatureAlgorithm.Ed25519.Verify(key, signed, signature);
    }

    private const int MaxStackBytes = 1024;
}
