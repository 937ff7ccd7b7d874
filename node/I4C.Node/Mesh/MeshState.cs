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
    private CharterDocument? _charter;

    public MeshState(LocalNode node, ILogger<MeshState> logger)
    {
        _node = node;
        _logger = logger;
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

    /// <summary>Recomputes the roster from the charter and the newest cards held.</summary>
    public void Recompute()
    {
        Roster roster;
        lock (_gate)
        {
            if (_charter is null)
            {
                _roster = Roster.Empty;
                return;
            }
            var info = CharterRules.Inspect(_charter, _node.Validator);
            var cards = new Dictionary<NodeId, MemberCard>();
            foreach (var stored in _node.Store.NewestOfKindPerAuthor(RecordKind.MemberCard))
            {
                if (stored.Payload is null)
                {
                    continue;
                }
                try
                {
                    var card = MemberCard.Parser.ParseFrom(stored.Payload);
                    if (MemberCards.Problem(card) is null)
                    {
                        cards[stored.Author] = card;
                    }
                }
                catch (InvalidProtocolBufferException)
                {
                    // A malformed card payload never passed validation; ignore defensively.
                }
            }
            var before = _roster;
            roster = Roster.Compute(info, cards);
            _roster = roster;
            if (before.Members.Count == roster.Members.Count && before.MeshId is not null)
            {
                RosterChanged?.Invoke(roster);
                return;
            }
        }
        MeshLog.RosterChanged(_logger, roster.Members.Count);
        RosterChanged?.Invoke(roster);
    }

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
        MeshLog.CardPublished(_logger, record.Id.ToString(), string.Join(",", wanted.MeshEndpoints), wanted.UdpPort);
        Recompute();
        return _node.Store.Get(record.Id)!;
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
