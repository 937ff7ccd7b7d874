using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Protocol.V1;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests.Support;

/// <summary>
/// A mesh founded the way the node founds one, and builders for its membership records.
/// Founders write their cards (seq 1 on the mesh channel, no mesh id yet), the creator
/// makes the charter, every founder signs it, and the validator is then pinned to the
/// mesh id, as <c>MeshState.AdoptAsync</c> does. Every author is a <see cref="TestAuthor"/>,
/// so each one's membership records form a gap-free chain on the mesh channel.
/// </summary>
internal sealed class MembershipFixture : IDisposable
{
    private readonly List<TestAuthor> _authors = [];
    private readonly Dictionary<NodeId, ValidatedRecord> _cards = [];
    private readonly Dictionary<NodeId, string> _names = [];

    public MembershipFixture(int founders, uint admissionThreshold, uint revocationThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(founders, 1);
        Time = TestClock.Create();
        Validator = new RecordValidator(RecordLimits.Default, Time);
        Founders = [.. Enumerable.Range(1, founders).Select(i => NewAuthor($"Founder {i}"))];
        var cards = Founders.Select(f => WriteCard(f, meshId: []).ToWire()).ToList();
        var document = CharterRules.Create(Founders[0].Identity, "Joint defence of the cities", RandomNumberGenerator.GetBytes(32),
            "agreement.pdf", admissionThreshold, revocationThreshold, cards, Time.GetUtcNow());
        foreach (var founder in Founders.Skip(1))
        {
            document = CharterRules.Sign(founder.Identity, document);
        }
        Charter = CharterRules.Inspect(document, Validator);
        Assert.True(Charter.Complete, "every founder signed the charter");
        Validator.ExpectedMeshId = Charter.MeshId;
    }

    public FakeTimeProvider Time { get; }

    public RecordValidator Validator { get; }

    public CharterInfo Charter { get; }

    public byte[] MeshId => Charter.MeshId;

    public IReadOnlyList<TestAuthor> Founders { get; }

    /// <summary>A fresh key (an applicant, or the next key of a rotation) that has written nothing yet.</summary>
    public TestAuthor NewAuthor(string name)
    {
        var author = new TestAuthor(Validator, Time);
        _authors.Add(author);
        _names[author.Id] = name;
        return author;
    }

    /// <summary>A new applicant with its card written (seq 1 on the mesh channel).</summary>
    public TestAuthor Applicant(string name)
    {
        var applicant = NewAuthor(name);
        WriteCard(applicant);
        return applicant;
    }

    public string NameOf(NodeId id) => _names.GetValueOrDefault(id) ?? id.Fingerprint;

    /// <summary>The card payload the node would publish (<c>MeshState.BuildCard</c>), with a random TLS pin.</summary>
    public MemberCard CardOf(TestAuthor author) => new()
    {
        Name = NameOf(author.Id),
        Country = "DE",
        Category = CardCategory.EuCity,
        Participation = CardParticipation.Active,
        X25519Key = ByteString.CopyFrom(author.Identity.AgreementPublicKey),
        TlsCertSha256 = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32)),
        IssuedUnixMs = Time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    /// <summary>Writes the author's next MEMBER_CARD record (TLP:CLEAR, mesh channel); it becomes its remembered card.</summary>
    public ValidatedRecord WriteCard(TestAuthor author, byte[]? meshId = null)
    {
        ArgumentNullException.ThrowIfNull(author);
        var record = author.Write(new RecordDraft
        {
            Kind = RecordKind.MemberCard,
            Tlp = Tlp.Clear,
            Payload = CardOf(author).ToByteArray(),
            MeshId = meshId ?? MeshId,
        });
        _cards[author.Id] = record;
        Time.Advance(TimeSpan.FromMilliseconds(1));
        return record;
    }

    /// <summary>The card record last written by the author.</summary>
    public ValidatedRecord CardRecordOf(TestAuthor author) => _cards[author.Id];

    /// <summary>The applicant's join request as <c>MeshState.CreateJoinRequestAsync</c> makes it: its card and its signature over the agreement.</summary>
    public JoinRequest JoinRequest(TestAuthor applicant) => new()
    {
        Card = CardRecordOf(applicant).ToWire(),
        Agreement = MembershipRules.SignAgreement(applicant.Identity, Charter, Time.GetUtcNow()),
    };

    /// <summary>Writes a membership record (TLP:CLEAR, all members, this mesh) as the author's next record.</summary>
    public ValidatedRecord Write(TestAuthor author, RecordKind kind, IMessage payload)
    {
        ArgumentNullException.ThrowIfNull(author);
        var record = author.Write(new RecordDraft { Kind = kind, Tlp = Tlp.Clear, Payload = payload.ToByteArray(), MeshId = MeshId });
        Time.Advance(TimeSpan.FromMilliseconds(1));
        return record;
    }

    public ValidatedRecord Endorse(TestAuthor endorser, JoinRequest request) =>
        Write(endorser, RecordKind.Endorsement, new Endorsement { Request = request });

    public ValidatedRecord Endorse(TestAuthor endorser, TestAuthor applicant) => Endorse(endorser, JoinRequest(applicant));

    public ValidatedRecord Revoke(TestAuthor author, NodeId subject, string reason = "test revocation", params ChainMark[] marks)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var payload = new Revocation { Subject = ByteString.CopyFrom(subject.PublicKey), Reason = reason };
        payload.Marks.AddRange(marks);
        return Write(author, RecordKind.Revocation, payload);
    }

    /// <summary>
    /// The old key's KEY_ROTATION record as <c>MeshState.RotateAsync</c> writes it: the new
    /// key's card (written now as the new key's next record unless given) and the new key's
    /// countersignature (correct unless given).
    /// </summary>
    public ValidatedRecord Rotate(TestAuthor old, TestAuthor next, SignedRecord? newCard = null, byte[]? newKeySignature = null, params ChainMark[] marks)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(next);
        var rotation = new KeyRotation
        {
            NewKey = ByteString.CopyFrom(next.Id.PublicKey),
            NewCard = newCard ?? WriteCard(next).ToWire(),
            NewKeySignature = ByteString.CopyFrom(newKeySignature ?? next.Identity.Sign(MembershipRules.RotationBytes(MeshId, old.Id.PublicKey, next.Id.PublicKey))),
        };
        rotation.Marks.AddRange(marks);
        return Write(old, RecordKind.KeyRotation, rotation);
    }

    public static ChainMark MeshMark(ulong seq) => new() { Channel = ByteString.CopyFrom(Channels.Mesh), Seq = seq };

    /// <summary>The roster the node computes from the charter and these records.</summary>
    public Roster Compute(IEnumerable<ValidatedRecord> records) => MembershipRules.Compute(Charter, records, Validator);

    public Roster Compute(params ValidatedRecord[] records) => Compute((IEnumerable<ValidatedRecord>)records);

    /// <summary>The same record as another node would hold it: validated again from its wire form.</summary>
    public ValidatedRecord Copy(ValidatedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Validator.MustValidate(record.ToWire());
    }

    public void Dispose()
    {
        foreach (var author in _authors)
        {
            author.Dispose();
        }
    }
}
