using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Protocol.V1;
using NSec.Cryptography;

namespace I4C.Core.Crypto;

/// <summary>A reader of an encrypted record: its node id and X25519 key (from its member card).</summary>
public sealed record GroupReader(NodeId Id, byte[] X25519Key);

/// <summary>
/// Payload encryption for records with an explicit audience. A random 32-byte content key
/// encrypts the payload with XChaCha20-Poly1305; the key is wrapped for every reader with
/// ChaCha20-Poly1305 under HKDF-SHA256(X25519(ephemeral, reader)). Both layers take the
/// record's binding (mesh, author, channel, seq, kind, TLP) as associated data, so neither
/// the envelope nor a wrapped key opens in any other record.
/// </summary>
public static class GroupCrypto
{
    private static ReadOnlySpan<byte> BindingPrefix => "I4C-PAYLOAD-BINDING-V1\0"u8;
    private static ReadOnlySpan<byte> WrapInfo => "I4C-WRAP-V1\0"u8;

    /// <summary>The associated data that ties a payload to one position of one chain.</summary>
    public static byte[] Binding(ReadOnlySpan<byte> meshId, ReadOnlySpan<byte> author, ReadOnlySpan<byte> channel, ulong seq, RecordKind kind, Tlp tlp)
    {
        var buffer = new byte[BindingPrefix.Length + 1 + meshId.Length + author.Length + channel.Length + 16];
        var span = buffer.AsSpan();
        BindingPrefix.CopyTo(span);
        span = span[BindingPrefix.Length..];
        span[0] = (byte)meshId.Length;
        meshId.CopyTo(span[1..]);
        span = span[(1 + meshId.Length)..];
        author.CopyTo(span);
        channel.CopyTo(span[author.Length..]);
        span = span[(author.Length + channel.Length)..];
        BinaryPrimitives.WriteUInt64BigEndian(span, seq);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], (int)kind);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], (int)tlp);
        return SHA256.HashData(buffer);
    }

    public static byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> binding, IReadOnlyList<GroupReader> readers)
    {
        ArgumentNullException.ThrowIfNull(readers);
        if (readers.Count == 0)
        {
            throw new ArgumentException("an encrypted record needs at least one reader", nameof(readers));
        }
        var contentKeyBytes = RandomNumberGenerator.GetBytes(32);
        var nonce = RandomNumberGenerator.GetBytes(AeadAlgorithm.XChaCha20Poly1305.NonceSize);
        using var contentKey = Key.Import(AeadAlgorithm.XChaCha20Poly1305, contentKeyBytes, KeyBlobFormat.RawSymmetricKey);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var envelope = new GroupEnvelope
        {
            EphemeralKey = ByteString.CopyFrom(ephemeralPublic),
            Nonce = ByteString.CopyFrom(nonce),
            Ciphertext = ByteString.CopyFrom(AeadAlgorithm.XChaCha20Poly1305.Encrypt(contentKey, nonce, binding, plaintext)),
        };
        foreach (var reader in readers)
        {
            var readerKey = PublicKey.Import(KeyAgreementAlgorithm.X25519, reader.X25519Key, KeyBlobFormat.RawPublicKey);
            using var shared = KeyAgreementAlgorithm.X25519.Agree(ephemeral, readerKey)
                ?? throw new CryptographicException($"X25519 with the key of {reader.Id} failed (a low-order key)");
            using var kek = WrapKey(shared, ephemeralPublic, reader.X25519Key, binding, reader.Id);
            envelope.Keys.Add(new WrappedKey
            {
                Recipient = ByteString.CopyFrom(reader.Id.PublicKey),
                Wrapped = ByteString.CopyFrom(AeadAlgorithm.ChaCha20Poly1305.Encrypt(kek, new byte[12], binding, contentKeyBytes)),
            });
        }
        CryptographicOperations.ZeroMemory(contentKeyBytes);
        return envelope.ToByteArray();
    }

    /// <summary>Opens an envelope as <paramref name="reader"/>; null when it is not a reader or anything fails to authenticate.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> envelopeBytes, ReadOnlySpan<byte> binding, NodeIdentity reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        GroupEnvelope envelope;
        try
        {
            envelope = GroupEnvelope.Parser.ParseFrom(envelopeBytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        var mine = envelope.Keys.FirstOrDefault(k => k.Recipient.Span.SequenceEqual(reader.Id.PublicKey));
        if (mine is null || envelope.EphemeralKey.Length != 32 || envelope.Nonce.Length != AeadAlgorithm.XChaCha20Poly1305.NonceSize)
        {
            return null;
        }
        if (!PublicKey.TryImport(KeyAgreementAlgorithm.X25519, envelope.EphemeralKey.Span, KeyBlobFormat.RawPublicKey, out var ephemeral) || ephemeral is null)
        {
            return null;
        }
        using var shared = KeyAgreementAlgorithm.X25519.Agree(reader.AgreementKey, ephemeral);
        if (shared is null)
        {
            return null;
        }
        using var kek = WrapKey(shared, envelope.EphemeralKey.Span, reader.AgreementPublicKey, binding, reader.Id);
        var contentKeyBytes = AeadAlgorithm.ChaCha20Poly1305.Decrypt(kek, new byte[12], binding, mine.Wrapped.Span);
        if (contentKeyBytes is null || contentKeyBytes.Length != 32)
        {
            return null;
        }
        using var contentKey = Key.Import(AeadAlgorithm.XChaCha20Poly1305, contentKeyBytes, KeyBlobFormat.RawSymmetricKey);
        CryptographicOperations.ZeroMemory(contentKeyBytes);
        return AeadAlgorithm.XChaCha20Poly1305.Decrypt(contentKey, envelope.Nonce.Span, binding, envelope.Ciphertext.Span);
    }

    private static Key WrapKey(SharedSecret shared, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> readerX25519, ReadOnlySpan<byte> binding, NodeId reader)
    {
        var salt = new byte[64];
        ephemeralPublic.CopyTo(salt);
        readerX25519.CopyTo(salt.AsSpan(32));
        var info = new byte[WrapInfo.Length + binding.Length + 32];
        WrapInfo.CopyTo(info);
        binding.CopyTo(info.AsSpan(WrapInfo.Length));
        reader.PublicKey.CopyTo(info.AsSpan(WrapInfo.Length + binding.Length));
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, info, AeadAlgorithm.ChaCha20Poly1305);
    }
}
