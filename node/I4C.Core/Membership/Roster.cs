using I4C.Core.Identity;
using I4C.Protocol.V1;

namespace I4C.Core.Membership;

/// <summary>A current member, with the card in force (its newest).</summary>
public sealed record Member(NodeId Id, MemberCard Card, bool Founder)
{
    public bool IsListener => Card.Participation == CardParticipation.Listener;
}

/// <summary>
/// Who is a member, computed as a pure function of the membership records a node holds:
/// the adopted charter (founders) and the newest card each member published. Every node
/// holding the same records computes the same roster.
/// </summary>
public sealed class Roster
{
    private readonly Dictionary<NodeId, Member> _members;
    private readonly Dictionary<string, Member> _byCertificate;

    private Roster(CharterInfo? charter, Dictionary<NodeId, Member> members)
    {
        Charter = charter;
        _members = members;
        _byCertificate = members.Values
            .GroupBy(m => Convert.ToHexString(m.Card.TlsCertSha256.Span))
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public static Roster Empty { get; } = new(null, []);

    public CharterInfo? Charter { get; }

    public byte[]? MeshId => Charter?.MeshId;

    public IReadOnlyCollection<Member> Members => _members.Values;

    public bool IsMember(NodeId node) => _members.ContainsKey(node);

    public Member? Get(NodeId node) => _members.GetValueOrDefault(node);

    /// <summary>The member whose card pins this TLS certificate hash, if any.</summary>
    public Member? ByCertificate(ReadOnlySpan<byte> sha256) => _byCertificate.GetValueOrDefault(Convert.ToHexString(sha256));

    /// <summary>
    /// Computes the roster. <paramref name="newestCards"/> maps an author to the newest
    /// valid card it published (highest seq on its mesh channel); the charter's embedded
    /// card is used where none is newer.
    /// </summary>
    public static Roster Compute(CharterInfo charter, IReadOnlyDictionary<NodeId, MemberCard> newestCards)
    {
        ArgumentNullException.ThrowIfNull(charter);
        ArgumentNullException.ThrowIfNull(newestCards);
        var members = new Dictionary<NodeId, Member>();
        foreach (var founder in charter.Founders)
        {
            var card = newestCards.TryGetValue(founder.Id, out var newer) && newer.IssuedUnixMs >= founder.Card.IssuedUnixMs ? newer : founder.Card;
            members[founder.Id] = new Member(founder.Id, card, Founder: true);
        }
        return new Roster(charter, members);
    }
}
