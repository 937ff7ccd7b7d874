using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;


/// <summary>
/// This node's view of its mesh: the adopted charter, the roster computed from the
/// membership records it holds, and its own member card. Recomputed whenever a
/// membership record is stored.
/// </summary>
public sealed class MeshState : IMemberDirectory
{
    private readonly LocalNode _node;
    private readonly ILogger<MeshState> _logger;
    private readonly Lock _gate = new();
    private Roster _roster = Roster.Empty;

    /// <summary>Where a rotation writes the new identity; set by the host.</summary>
    public Storage.DataDirectory? Data { get; set; }
    private CharterDocument? _charter;

    public MeshState(LocalNode node, ILogger<MeshState> logger)
    {
        _node = node;
        _logger = logger;
        _node.Published += record =>
        {
            if (AffectsMembership(record.Header.Kind))
            {
                Recompute();
            }
        };
    }

    /// <summary>Raised after the roster changed (new mesh, new or changed card).</summary>
    public event Action<Roster>? RosterChanged;

    public Roster Roster => _roster;

    public CharterDocument? Charter => _charter;

    public byte[]? MeshId => _roster.MeshId;

    public bool HasMesh => _roster.MeshId is not null;

    public Core.Crypto.GroupReader? Reader(NodeId node) =>
        _roster.Get(node) is { } member ? new Core.Crypto.GroupReader(member.Id, member.Card.X25519Key.ToByteArray()) : null;

    /// <summary>SHA-256 of this node's TLS certificate (what its card pins).</summary>
    public byte[] CertificateHash { get; set; } = [];

    /// <summary>Endpoints this node advertises in its card.</summary>
    public IReadOnlyList<string> AdvertisedEndpoints { get; set; } = [];

    public int UdpPort { get; set; }

    /// <summary>Loads the adopted charter (if any) from the store and computes the roster.</summary>
    public void Load()
    {
        if (_node.Store.LoadMesh() is { } mesh)
        {
            _charter = CharterDocument.Parser.ParseFrom(mesh.Document);
            _node.MeshId = mesh.MeshId;
            _node.Validator.ExpectedMeshId = mesh.MeshId;
        }
        Recompute();
    }

    /// <summary>Recomputes the roster from the charter and every membership record held (a pure function of them).</summary>
    public void Recompute()
    {
        Roster roster;
        int before;
        lock (_gate)
        {
            if (_charter is null)
            {
                _roster = Roster.Empty;
                return;
            }
            var info = CharterRules.Inspect(_charter, _node.Validator);
            var records = new List<ValidatedRecord>();
            var store = _node.Store;
            foreach (var stored in store.NewestOfKindPerAuthor(RecordKind.MemberCard)
                .Concat(store.OfKind(RecordKind.Endorsement))
                .Concat(store.OfKind(RecordKind.Revocation))
                .Concat(store.OfKind(RecordKind.KeyRotation)))
            {
                var result = _node.Validator.Validate(stored.HeaderBytes, stored.Signature, stored.Payload);
                if (result.IsValid)
                {
                    records.Add(result.Record!);
                }
            }
            before = _roster.Members.Count;
            roster = MembershipRules.Compute(info, records, _node.Validator);
            _roster = roster;
        }
        if (before != roster.Members.Count)
        {
            MeshLog.RosterChanged(_logger, roster.Members.Count);
        }
        RosterChanged?.Invoke(roster);
    }

    /// <summary>Whether a stored record changes membership (the roster is recomputed when one arrives).</summary>
    public static bool AffectsMembership(RecordKind kind) =>
        kind is RecordKind.MemberCard or RecordKind.Endorsement or RecordKind.Revocation or RecordKind.KeyRotation;

    /// <summary>The card this node would publish now.</summary>
    public MemberCard BuildCard() => new()
    {
        Name = _node.Profile.Name,
        Country = _node.Profile.Country,
        Category = MemberCards.ToProto(_node.Profile.Category),
        Participation = MemberCards.ToProto(_node.Profile.Participation),
        X25519Key = ByteString.CopyFrom(_node.Identity.AgreementPublicKey),
        TlsCertSha256 = ByteString.CopyFrom(CertificateHash),
        MeshEndpoints = { AdvertisedEndpoints },
        UdpPort = UdpPort,
        IssuedUnixMs = _node.Time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    /// <summary>Publishes a new card when the current one differs from what this node would say now; returns the card in force.</summary>
    public async ValueTask<StoredRecord> EnsureCardAsync(CancellationToken cancellationToken)
    {
        var wanted = BuildCard();
        var current = _node.Store.NewestOfKindPerAuthor(RecordKind.MemberCard).FirstOrDefault(r => r.Author.Equals(_node.Identity.Id));
        if (current?.Payload is { } payload)
        {
            var existing = MemberCard.Parser.ParseFrom(payload);
            var comparable = existing.Clone();
            comparable.IssuedUnixMs = wanted.IssuedUnixMs;
            var meshMatches = current.Header.MeshId.Span.SequenceEqual(_node.MeshId);
            if (comparable.Equals(wanted) && meshMatches)
            {
                return current;
            }
        }
        var record = await _node.PublishAsync(new RecordDraft { Kind = RecordKind.MemberCard, Tlp = Tlp.Clear, Payload = wanted.ToByteArray() }, cancellationToken).ConfigureAwait(false);
        MeshLog.CardPublished(_logger, record.Id.ToString(), wanted.MeshEndpoints.Count == 0 ? "none: reached by mDNS or by dialing out" : string.Join(",", wanted.MeshEndpoints), wanted.UdpPort);
        Recompute();
        return _node.Store.Get(record.Id)!;
    }

    /// <summary>An applicant installs the charter of the mesh it asks to join (it is not a founder): it learns the founders and can dial them; it becomes a member once k members endorse it.</summary>
    public async ValueTask<CharterInfo> JoinAsync(CharterDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var info = CharterRules.Inspect(document, _node.Validator);
        if (!info.Complete)
        {
            throw new CharterException("that charter is not signed by every founder; ask a member for the adopted charter.");
        }
        lock (_gate)
        {
            if (_charter is not null)
            {
                if (CharterRules.MeshIdOf(_charter.Charter.Span).AsSpan().SequenceEqual(info.MeshId))
                {
                    return info;
                }
                throw new CharterException($"this node already belongs to mesh {Convert.ToHexStringLower(CharterRules.MeshIdOf(_charter.Charter.Span))}; a node belongs to one mesh.");
            }
            _node.Store.SaveMesh(info.MeshId, document.ToByteArray());
            _charter = document;
            _node.MeshId = info.MeshId;
            _node.Validator.ExpectedMeshId = info.MeshId;
        }
        Recompute();
        await EnsureCardAsync(cancellationToken).ConfigureAwait(false);
        return info;
    }

    /// <summary>The applicant's join request: its card and its signature over the agreement.</summary>
    public async ValueTask<JoinRequest> CreateJoinRequestAsync(CharterDocument charter, CancellationToken cancellationToken)
    {
        var info = await JoinAsync(charter, cancellationToken).ConfigureAwait(false);
        if (_roster.IsMember(_node.Identity.Id))
        {
            throw new CharterException("this node is already a member of that mesh.");
        }
        var card = await EnsureCardAsync(cancellationToken).ConfigureAwait(false);
        return new JoinRequest { Card = card.ToWire(), Agreement = MembershipRules.SignAgreement(_node.Identity, info, _node.Time.GetUtcNow()) };
    }

    private CharterInfo RequireMember(string action)
    {
        var charter = _roster.Charter ?? throw new CharterException($"this node is in no mesh; it cannot {action}.");
        if (!_roster.IsMember(_node.Identity.Id))
        {
            throw new CharterException($"this node is not a current member; it cannot {action}.");
        }
        return charter;
    }

    /// <summary>Checks a join request and publishes this member's endorsement of the applicant.</summary>
    public async ValueTask<(NodeId Applicant, MemberCard Card, RecordId? Id)> EndorseAsync(JoinRequest request, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var charter = RequireMember("endorse applicants");
        var (applicant, card) = MembershipRules.CheckJoinRequest(request, charter, _node.Validator);
        var standing = _roster.StandingOf(applicant);
        if (standing?.Kind == StandingKind.Member)
        {
            throw new CharterException($"{card.Name} ({applicant.Fingerprint}) is already a member.");
        }
        if (standing?.Kind is StandingKind.Revoked or StandingKind.Replaced)
        {
            throw new CharterException($"{card.Name}'s key was {standing.Kind.ToString().ToLowerInvariant()}; a key is never re-admitted. The city joins again with a new key.");
        }
        if (applicant.Equals(_node.Identity.Id))
        {
            throw new CharterException("a node cannot endorse itself.");
        }
        if (dryRun)
        {
            return (applicant, card, null);
        }
        var record = await _node.PublishAsync(new RecordDraft { Kind = RecordKind.Endorsement, Tlp = Tlp.Clear, Payload = new Endorsement { Request = request }.ToByteArray() }, cancellationToken).ConfigureAwait(false);
        return (applicant, card, record.Id);
    }

    private IEnumerable<ChainMark> MarksOf(NodeId subject) =>
        _node.Store.Heads().Where(h => h.Author.AsSpan().SequenceEqual(subject.PublicKey))
            .Select(h => new ChainMark { Channel = ByteString.CopyFrom(h.Channel), Seq = h.Seq });

    /// <summary>Publishes a revocation of <paramref name="subject"/> (this node itself: leaving).</summary>
    public async ValueTask<RecordId> RevokeAsync(NodeId subject, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        RequireMember("revoke members");
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new CharterException("a revocation needs a reason (--reason); every member sees it.");
        }
        if (!_roster.IsMember(subject))
        {
            throw new CharterException($"{subject} is not a current member.");
        }
        var payload = new Revocation { Subject = ByteString.CopyFrom(subject.PublicKey), Reason = reason.Trim() };
        payload.Marks.AddRange(MarksOf(subject));
        var record = await _node.PublishAsync(new RecordDraft { Kind = RecordKind.Revocation, Tlp = Tlp.Clear, Payload = payload.ToByteArray() }, cancellationToken).ConfigureAwait(false);
        return record.Id;
    }

    /// <summary>
    /// Makes a new identity, signed over by the old key: publishes the rotation (with the new
    /// key's card and countersignature), stores the new card, and returns the new identity and
    /// certificate for the host to switch to.
    /// </summary>
    public async ValueTask<(RecordId Rotation, NodeIdentity Next)> RotateAsync(CancellationToken cancellationToken)
    {
        var charter = RequireMember("rotate its key");
        var data = Data ?? throw new CharterException("key rotation needs the node's data directory.");
        var next = NodeIdentity.Create();
        try
        {
            var certificateBytes = Storage.DataDirectory.NewCertificate(next, _node.Time);
            using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(certificateBytes, password: null);
            var card = BuildCard();
            card.X25519Key = ByteString.CopyFrom(next.AgreementPublicKey);
            card.TlsCertSha256 = ByteString.CopyFrom(PeerDialer.HashOf(certificate));
            var cardWire = RecordWriter.Sign(next, new RecordDraft { Kind = RecordKind.MemberCard, Tlp = Tlp.Clear, Payload = card.ToByteArray(), MeshId = charter.MeshId }, 1, default, _node.Time.GetUtcNow());
            var cardRecord = _node.Validator.Validate(cardWire).Record ?? throw new CharterException("the new card does not validate.");
            var rotation = new KeyRotation
            {
                NewKey = ByteString.CopyFrom(next.Id.PublicKey),
                NewCard = cardWire,
                NewKeySignature = ByteString.CopyFrom(next.Sign(MembershipRules.RotationBytes(charter.MeshId, _node.Identity.Id.PublicKey, next.Id.PublicKey))),
            };
            rotation.Marks.AddRange(MarksOf(_node.Identity.Id));
            // The new key is on disk before the mesh can learn of it (see DataDirectory.StageRotation).
            data.StageRotation(next, certificateBytes);
            var record = await _node.PublishAsync(new RecordDraft { Kind = RecordKind.KeyRotation, Tlp = Tlp.Clear, Payload = rotation.ToByteArray() }, cancellationToken).ConfigureAwait(false);
            _node.Store.Insert(cardRecord);
            data.CommitRotation(_node.Time);
            return (record.Id, next);
        }
        catch
        {
            data.DiscardStagedRotation();
            next.Dispose();
            throw;
        }
    }

    /// <summary>Adopts a fully signed charter naming this node: stores it, stamps the mesh id, publishes the charter record and a fresh card.</summary>
    public async ValueTask<CharterInfo> AdoptAsync(CharterDocument document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var info = CharterRules.Inspect(document, _node.Validator);
        if (!info.Complete)
        {
            var missing = info.Founders.Where(f => !info.SignedBy.Contains(f.Id)).Select(f => $"{f.Card.Name} ({f.Id.Fingerprint})");
            throw new CharterException($"not every founder has signed; missing: {string.Join(", ", missing)}. Each founder runs: i4c charter sign FILE");
        }
        if (!info.Names(_node.Identity.Id))
        {
            throw new CharterException("the charter does not name this node as a founder; a node that is not a founder joins by admission instead.");
        }
        lock (_gate)
        {
            if (_charter is not null)
            {
                var current = CharterRules.MeshIdOf(_charter.Charter.Span);
                if (current.AsSpan().SequenceEqual(info.MeshId))
                {
                    throw new CharterException($"this node has already adopted this charter (mesh {info.MeshIdHex}).");
                }
                throw new CharterException($"this node already belongs to mesh {Convert.ToHexStringLower(current)}; a node belongs to one mesh.");
            }
            _node.Store.SaveMesh(info.MeshId, document.ToByteArray());
            _charter = document;
            _node.MeshId = info.MeshId;
            _node.Validator.ExpectedMeshId = info.MeshId;
        }
        MeshLog.CharterAdopted(_logger, info.Charter.Title, info.MeshIdHex, info.Founders.Count);
        Recompute();
        await _node.PublishAsync(new RecordDraft { Kind = RecordKind.Charter, Tlp = Tlp.Clear, Payload = document.ToByteArray() }, cancellationToken).ConfigureAwait(false);
        await EnsureCardAsync(cancellationToken).ConfigureAwait(false);
        return info;
    }
}
