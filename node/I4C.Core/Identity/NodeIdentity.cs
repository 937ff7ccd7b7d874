using NSec.Cryptography;

namespace I4C.Core.Identity;

/// <summary>
/// A node's private identity: an Ed25519 signing key and an X25519 key-agreement key
/// (both NSec). Owns the keys; dispose it to release them.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    private readonly Key _signingKey;
    private readonly Key _agreementKey;

    private NodeIdentity(Key signingKey, Key agreementKey)
    {
        _signingKey = signingKey;
        _agreementKey = agreementKey;
        Id = NodeId.FromPublicKey(signingKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        AgreementPublicKey = agreementKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public NodeId Id { get; }

    /// <summary>The X25519 public key (32 bytes) others wrap content keys for.</summary>
    public byte[] AgreementPublicKey { get; }

    /// <summary>The X25519 key, for unwrapping content keys.</summary>
    public Key AgreementKey => _agreementKey;

    public static NodeIdentity Create() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, Exportable()), Key.Create(KeyAgreementAlgorithm.X25519, Exportable()));

    /// <summary>Rebuilds an identity from its two raw 32-byte private keys.</summary>
    public static NodeIdentity Import(ReadOnlySpan<byte> ed25519PrivateKey, ReadOnlySpan<byte> x25519PrivateKey)
    {
        if (!Key.TryImport(SignatureAlgorithm.Ed25519, ed25519PrivateKey, KeyBlobFormat.RawPrivateKey, out var signing, Exportable()) || signing is null)
        {
            throw new InvalidDataException("The Ed25519 private key is not a valid 32-byte raw key.");
        }
        if (!Key.TryImport(KeyAgreementAlgorithm.X25519, x25519PrivateKey, KeyBlobFormat.RawPrivateKey, out var agreement, Exportable()) || agreement is null)
        {
            signing.Dispose();
            throw new InvalidDataException("The X25519 private key is not a valid 32-byte raw key.");
        }
        return new NodeIdentity(signing, agreement);
    }

    private static KeyCreationParameters Exportable() => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    public byte[] ExportSigningKey() => _signingKey.Export(KeyBlobFormat.RawPrivateKey);

    public byte[] ExportAgreementKey() => _agreementKey.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>Ed25519 signature over <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_signingKey, data);

    public void Dispose()
    {
        _signingKey.Dispose();
        _agreementKey.Dispose();
    }
}
