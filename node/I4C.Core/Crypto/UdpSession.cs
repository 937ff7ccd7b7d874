using System.Buffers.Binary;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Protocol.V1;
using NSec.Cryptography;

namespace I4C.Core.Crypto;

/// <summary>
/// Authenticates the UDP control plane. The dialer signs a <see cref="UdpHello"/> (Ed25519,
/// domain-separated) carrying a fresh 32-byte salt; both ends derive the session key with
/// HKDF-SHA256 from their static X25519 agreement and that salt; every datagram is sealed
/// with ChaCha20-Poly1305 under a per-direction counter nonce. A datagram that does not
/// open, or whose counter is not newer than the last one accepted, is dropped.
/// </summary>
public sealed class UdpSession : IDisposable
{
    public static ReadOnlySpan<byte> HelloPrefix => "I4C-UDP-HELLO-V1\0"u8;
    private static ReadOnlySpan<byte> KdfInfo => "I4C-UDP-SESSION-V1"u8;

    private readonly Key _key;
    private readonly byte _sendDirection;
    private long _sendCounter;
    private long _lastReceived = -1;
    private readonly Lock _gate = new();

    private UdpSession(Key key, bool dialer)
    {
        _key = key;
        _sendDirection = dialer ? (byte)1 : (byte)2;
    }

    public static SignedUdpHello CreateHello(NodeIdentity self, NodeId to, byte[] meshId, byte[] salt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(to);
        var hello = new UdpHello
        {
            MeshId = ByteString.CopyFrom(meshId),
            From = ByteString.CopyFrom(self.Id.PublicKey),
            To = ByteString.CopyFrom(to.PublicKey),
            SessionSalt = ByteString.CopyFrom(salt),
            SentUnixMs = now.ToUnixTimeMilliseconds(),
        }.ToByteArray();
        return new SignedUdpHello { Hello = ByteString.CopyFrom(hello), Signature = ByteString.CopyFrom(self.Sign(Prefixed(hello))) };
    }

    /// <summary>Checks a hello's signature; returns the parsed hello, or null when it does not verify.</summary>
    public static UdpHello? VerifyHello(SignedUdpHello signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        UdpHello hello;
        try
        {
            hello = UdpHello.Parser.ParseFrom(signed.Hello);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        if (hello.From.Length != 32 || hello.To.Length != 32 || hello.SessionSalt.Length != 32 ||
            !PublicKey.TryImport(SignatureAlgorithm.Ed25519, hello.From.Span, KeyBlobFormat.RawPublicKey, out var key) || key is null ||
            !SignatureAlgorithm.Ed25519.Verify(key, Prefixed(signed.Hello.Span), signed.Signature.Span))
        {
            return null;
        }
        return hello;
    }

    private static byte[] Prefixed(ReadOnlySpan<byte> hello)
    {
        var buffer = new byte[HelloPrefix.Length + hello.Length];
        HelloPrefix.CopyTo(buffer);
        hello.CopyTo(buffer.AsSpan(HelloPrefix.Length));
        return buffer;
    }

    /// <summary>Derives the session between this node and a peer (its X25519 key from its card).</summary>
    public static UdpSession Derive(NodeIdentity self, NodeId peer, ReadOnlySpan<byte> peerX25519, ReadOnlySpan<byte> salt, bool dialer)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(peer);
        var peerKey = PublicKey.Import(KeyAgreementAlgorithm.X25519, peerX25519, KeyBlobFormat.RawPublicKey);
        using var shared = KeyAgreementAlgorithm.X25519.Agree(self.AgreementKey, peerKey)
            ?? throw new InvalidOperationException("X25519 agreement with the peer's key failed (a low-order key).");
        // Bind both identities, in a fixed order, into the key.
        var a = self.Id.PublicKey.ToArray();
        var b = peer.PublicKey.ToArray();
        var (first, second) = a.AsSpan().SequenceCompareTo(b) < 0 ? (a, b) : (b, a);
        var info = new byte[KdfInfo.Length + 64];
        KdfInfo.CopyTo(info);
        first.CopyTo(info, KdfInfo.Length);
        second.CopyTo(info, KdfInfo.Length + 32);
        var key = KeyDerivationAlgorithm.HkdfSha256.DeriveKey(shared, salt, info, AeadAlgorithm.ChaCha20Poly1305);
        return new UdpSession(key, dialer);
    }

    /// <summary>Seals a message: [8-byte counter][ciphertext+tag].</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        long counter;
        lock (_gate)
        {
            counter = _sendCounter++;
        }
        Span<byte> nonce = stackalloc byte[12];
        nonce[0] = _sendDirection;
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], counter);
        var output = new byte[8 + plaintext.Length + AeadAlgorithm.ChaCha20Poly1305.TagSize];
        BinaryPrimitives.WriteInt64BigEndian(output, counter);
        AeadAlgorithm.ChaCha20Poly1305.Encrypt(_key, nonce, [], plaintext, output.AsSpan(8));
        return output;
    }

    /// <summary>Opens a message from the peer; null when it is forged, damaged or replayed.</summary>
    public byte[]? Open(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 8 + AeadAlgorithm.ChaCha20Poly1305.TagSize)
        {
            return null;
        }
        var counter = BinaryPrimitives.ReadInt64BigEndian(datagram);
        Span<byte> nonce = stackalloc byte[12];
        nonce[0] = _sendDirection == 1 ? (byte)2 : (byte)1;
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], counter);
        var plaintext = new byte[datagram.Length - 8 - AeadAlgorithm.ChaCha20Poly1305.TagSize];
        if (!AeadAlgorithm.ChaCha20Poly1305.Decrypt(_key, nonce, [], datagram[8..], plaintext))
        {
            return null;
        }
        lock (_gate)
        {
            if (counter <= _lastReceived)
            {
                return null;
            }
            _lastReceived = counter;
        }
        return plaintext;
    }

    public void Dispose() => _key.Dispose();
}
