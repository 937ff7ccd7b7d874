using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using NSec.Cryptography;

namespace I4C.Core.Membership;

/// <summary>One founder named by a charter, with the card it signed.</summary>
public sealed record Founder(NodeId Id, MemberCard Card, ValidatedRecord CardRecord);

/// <summary>A charter that parsed and whose founder cards verified; says who has signed so far.</summary>
public sealed record CharterInfo(
    byte[] MeshId,
    Charter Charter,
    byte[] CharterBytes,
    IReadOnlyList<Founder> Founders,
    IReadOnlySet<NodeId> SignedBy)
{
    public bool Complete => Founders.All(f => SignedBy.Contains(f.Id));

    public string MeshIdHex => Convert.ToHexStringLower(MeshId);

    public bool Names(NodeId node) => Founders.Any(f => f.Id.Equals(node));
}

/// <summary>A charter that cannot be used; the message says why.</summary>
public sealed class CharterException(string message) : Exception(message);

/// <summary>
/// The charter: creation, founder signatures, and the checks every node applies before
/// adopting one. The mesh id is SHA-256("I4C-MESH-V1" || 0x00 || charter bytes).
/// </summary>
public static class CharterRules
{
    public static ReadOnlySpan<byte> MeshPrefix => "I4C-MESH-V1\0"u8;
    public static ReadOnlySpan<byte> SignaturePrefix => "I4C-CHARTER-V1\0"u8;

    public static byte[] MeshIdOf(ReadOnlySpan<byte> charterBytes)
    {
        var buffer = new byte[MeshPrefix.Length + charterBytes.Length];
        MeshPrefix.CopyTo(buffer);
        charterBytes.CopyTo(buffer.AsSpan(MeshPrefix.Length));
        return SHA256.HashData(buffer);
    }

    private static byte[] SignedBytes(ReadOnlySpan<byte> charterBytes)
    {
        var buffer = new byte[SignaturePrefix.Length + charterBytes.Length];
        SignaturePrefix.CopyTo(buffer);
        charterBytes.CopyTo(buffer.AsSpan(SignaturePrefix.Length));
        return buffer;
    }

    /// <summary>
    /// k of the NIS2 maturity benchmark a charter sets: its <c>benchmark_min_contributors</c>, or
    /// <see cref="Maturity.BenchmarkOptions.Default"/>'s 5 when the field is 0 (docs/maturity.md).
    /// </summary>
    public static int BenchmarkMinContributors(Charter charter)
    {
        ArgumentNullException.ThrowIfNull(charter);
        return charter.BenchmarkMinContributors == 0 ? Maturity.BenchmarkOptions.Default.MinContributors : (int)charter.BenchmarkMinContributors;
    }

    // 0 (the default) or at least the benchmark's minimum; anything smaller would let a figure describe one or two cities.
    private static string? BenchmarkKProblem(uint k) =>
        k is 0 or >= Maturity.BenchmarkOptions.MinimumK and <= 1000
            ? null
            : $"the benchmark's k (benchmark_min_contributors) is {k}; it must be 0 (the default, {Maturity.BenchmarkOptions.Default.MinContributors}) or from {Maturity.BenchmarkOptions.MinimumK} to 1000, so that no figure describes one or two cities.";

    /// <summary>Creates and signs a draft. The creator's own card must be among <paramref name="founderCards"/>.</summary>
    public static CharterDocument Create(NodeIdentity creator, string title, byte[] agreementSha256, string agreementName,
        uint admissionThreshold, uint revocationThreshold, IReadOnlyList<SignedRecord> founderCards, DateTimeOffset now, uint benchmarkMinContributors = 0)
    {
        ArgumentNullException.ThrowIfNull(creator);
        ArgumentNullException.ThrowIfNull(founderCards);
        if (BenchmarkKProblem(benchmarkMinContributors) is { } problem)
        {
            throw new CharterException(problem);
        }
        var charter = new Charter
        {
            Version = 1,
            Title = title,
            AgreementSha256 = ByteString.CopyFrom(agreementSha256),
            AgreementName = agreementName,
            AdmissionThreshold = admissionThreshold,
            RevocationThreshold = revocationThreshold == 0 ? admissionThreshold : revocationThreshold,
            CreatedUnixMs = now.ToUnixTimeMilliseconds(),
            Creator = ByteString.CopyFrom(creator.Id.PublicKey),
            Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)),
            BenchmarkMinContributors = benchmarkMinContributors,
        };
        charter.FounderCards.AddRange(founderCards);
        var bytes = charter.ToByteArray();
        var document = new CharterDocument { Charter = ByteString.CopyFrom(bytes) };
        return Sign(creator, document);
    }

    /// <summary>Adds (or replaces) the signer's signature.</summary>
    public static CharterDocument Sign(NodeIdentity signer, CharterDocument document)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(document);
        var copy = document.Clone();
        var key = ByteString.CopyFrom(signer.Id.PublicKey);
        for (var i = copy.Signatures.Count - 1; i >= 0; i--)
        {
            if (copy.Signatures[i].Signer == key)
            {
                copy.Signatures.RemoveAt(i);
            }
        }
        copy.Signatures.Add(new CharterSignature { Signer = key, Signature = ByteString.CopyFrom(signer.Sign(SignedBytes(copy.Charter.Span))) });
        return copy;
    }

    /// <summary>
    /// Parses and checks a charter document: format, thresholds, every founder card
    /// (a valid signed MEMBER_CARD record, one per founder), the creator among the
    /// founders, and every signature present (an invalid one is an error, not ignored).
    /// Completeness (all founders signed) is reported, not required.
    /// </summary>
    public static CharterInfo Inspect(CharterDocument document, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(validator);
        Charter charter;
        try
        {
            charter = Charter.Parser.ParseFrom(document.Charter);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CharterException($"the charter does not parse ({ex.Message}); the file is damaged.");
        }
        if (charter.Version != 1)
        {
            throw new CharterException($"charter version {charter.Version} is not supported (this node reads version 1).");
        }
        if (string.IsNullOrWhiteSpace(charter.Title))
        {
            throw new CharterException("the charter has no title.");
        }
        if (charter.AgreementSha256.Length != 32)
        {
            throw new CharterException("the charter does not carry the agreement's SHA-256.");
        }
        if (charter.FounderCards.Count == 0)
        {
            throw new CharterException("the charter names no founders.");
        }
        var founders = new List<Founder>();
        foreach (var wire in charter.FounderCards)
        {
            var result = validator.Validate(wire);
            if (!result.IsValid)
            {
                throw new CharterException($"a founder card does not verify: {result.Rejection}.");
            }
            var record = result.Record!;
            if (record.Header.Kind != RecordKind.MemberCard || record.Payload is null)
            {
                throw new CharterException("a founder entry is not a member card record with its payload.");
            }
            if (founders.Any(f => f.Id.Equals(record.Author)))
            {
                throw new CharterException($"founder {record.Author} is listed twice.");
            }
            var card = MemberCard.Parser.ParseFrom(record.Payload);
            if (MemberCards.Problem(card) is { } problem)
            {
                throw new CharterException($"the card of founder {record.Author} is invalid: {problem}.");
            }
            founders.Add(new Founder(record.Author, card, record));
        }
        if (charter.AdmissionThreshold < 1 || charter.AdmissionThreshold > founders.Count)
        {
            throw new CharterException($"the admission threshold {charter.AdmissionThreshold} must be between 1 and the number of founders ({founders.Count}).");
        }
        if (charter.RevocationThreshold < 1)
        {
            throw new CharterException("the revocation threshold must be at least 1.");
        }
        if (BenchmarkKProblem(charter.BenchmarkMinContributors) is { } kProblem)
        {
            throw new CharterException(kProblem);
        }
        if (charter.Creator.Length != 32 || !founders.Any(f => f.Id.PublicKey.SequenceEqual(charter.Creator.Span)))
        {
            throw new CharterException("the charter's creator is not among its founders.");
        }
        var signedBytes = SignedBytes(document.Charter.Span);
        var signedBy = new HashSet<NodeId>();
        foreach (var signature in document.Signatures)
        {
            var founder = founders.FirstOrDefault(f => f.Id.PublicKey.SequenceEqual(signature.Signer.Span))
                ?? throw new CharterException("the charter carries a signature by a node that is not a founder.");
            if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, signature.Signer.Span, KeyBlobFormat.RawPublicKey, out var key) || key is null ||
                !SignatureAlgorithm.Ed25519.Verify(key, signedBytes, signature.Signature.Span))
            {
                throw new CharterException($"the signature of founder {founder.Card.Name} ({founder.Id}) does not verify: the charter was altered or the signature forged.");
            }
            signedBy.Add(founder.Id);
        }
        return new CharterInfo(MeshIdOf(document.Charter.Span), charter, document.Charter.ToByteArray(), founders, signedBy);
    }
}
