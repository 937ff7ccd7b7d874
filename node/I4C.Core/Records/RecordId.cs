using System.Security.Cryptography;

namespace I4C.Core.Records;

/// <summary>A record's id: SHA-256 of its exact header bytes. Text form: 64 lower-case hex digits.</summary>
public readonly struct RecordId : IEquatable<RecordId>
{
    public const int Length = 32;
    private readonly byte[]? _bytes;

    private RecordId(byte[] bytes) => _bytes = bytes;

    public ReadOnlySpan<byte> Span => _bytes ?? [];

    public bool IsEmpty => _bytes is null;

    public static RecordId OfHeader(ReadOnlySpan<byte> headerBytes) => new(SHA256.HashData(headerBytes));

    public static RecordId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A record id is {Length} bytes; got {bytes.Length}.", nameof(bytes));
        }
        return new RecordId(bytes.ToArray());
    }

    public static bool TryParse(string? hex, out RecordId id)
    {
        id = default;
        if (hex is null || hex.Length != Length * 2)
        {
            return false;
        }
        try
        {
            id = new RecordId(Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public byte[] ToArray() => Span.ToArray();

    public bool Equals(RecordId other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is RecordId other && Equals(other);

    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => Convert.ToHexStringLower(Span);

    public static bool operator ==(RecordId left, RecordId right) => left.Equals(right);

    public static bool operator !=(RecordId left, RecordId right) => !left.Equals(right);
}
