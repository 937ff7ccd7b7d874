using I4C.Core.Identity;
using I4C.Protocol.V1;

namespace I4C.Core.Membership;

/// <summary>A current member, with the card in force (its newest).</summary>
public sealed record Member(NodeId Id, MemberCard Card, bool Founder)
{
    public bool IsListener => Card.Participation == CardParticipation.Listener;
}

/// <summary>
/// Who is a member, computed by <see cref="MembershipRules.Compute"/> as a pure function of
/// the membership records a node holds. Every node holding the same records computes the
/// same roster. Also knows applicants, revoked and replaced keys, and up to where the
/// records of a revoked or replaced key stay valid.
/// </summary>
public sealed class Roster
{
    private readonly Dictionary<NodeId, Member> _members;
    private readonly Dictionary<string, Member> _byCertificate;
    private readonly Dictionary<NodeId, Standing> _standings;
    private readonly Dictionary<NodeId, Dictionary<string, ulong>> _marks;

    internal Roster(CharterInfo? charter, Dictionary<NodeId, Standing> standings, Dictionary<NodeId, Dictionary<string, ulong>> marks)
    {
        Charter = charter;
        _standings = standings;
        _marks = marks;
        _members = standings.Values.Where(s => s.Kind == StandingKind.Member).ToDictionary(s => s.Id, s => new Member(s.Id, s.Card, s.Founder));
        _byCertificate = _members.Values
            .Where(m => m.Card.TlsCertSha256.Length == 32)
            .GroupBy(m => Convert.ToHexString(m.Card.TlsCertSha256.Span))
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public static Roster Empty { get; } = new(null, [], []);

    public CharterInfo? Charter { get; }

    public byte[]? MeshId => Charter?.MeshId;

    public IReadOnlyCollection<Member> Members => _members.Values;

    /// <summary>Every key known to the membership records: members, applicants, revoked, replaced.</summary>
    public IReadOnlyCollection<Standing> Standings => _standings.Values;

    public bool IsMember(NodeId node) => _members.ContainsKey(node);

    public Member? Get(NodeId node) => _members.GetValueOrDefault(node);

    public Standing? StandingOf(NodeId node) => _standings.GetValueOrDefault(node);

    /// <summary>The member whose card pins this TLS certificate hash, if any.</summary>
    public Member? ByCertificate(ReadOnlySpan<byte> sha256) => _byCertificate.GetValueOrDefault(Convert.ToHexString(sha256));

    /// <summary>
    /// Whether a record by this author at this chain position is acceptable: any record of
    /// a member; a revoked or replaced key's records only up to the chain heads its
    /// revokers or its rotation recorded (what it published before stays valid).
    /// </summary>
    public bool MayAuthor(NodeId author, ReadOnlySpan<byte> channel, ulong seq)
    {
        if (_members.ContainsKey(author))
        {
            return true;
        }
        if (_standings.TryGetValue(author, out var standing) && standing.Kind is StandingKind.Revoked or StandingKind.Replaced &&
            _marks.TryGetValue(author, out var marks) && marks.TryGetValue(Convert.ToHexString(channel), out var last))
        {
            return seq <= last;
        }
        return false;
    }

    /// <summary>
    /// The highest seq of this author's chain that other nodes may still accept: unbounded
    /// (null) for a member, the recorded mark for a revoked or replaced key, 0 for anyone else.
    /// </summary>
    public ulong? AcceptableUpTo(NodeId author, ReadOnlySpan<byte> channel)
    {
        if (_members.ContainsKey(author))
        {
            return null;
        }
        if (_standings.TryGetValue(author, out var standing) && standing.Kind is StandingKind.Revoked or StandingKind.Replaced &&
            _marks.TryGetValue(author, out var marks) && marks.TryGetValue(Convert.ToHexString(channel), out var last))
        {
            return last;
        }
        return 0;
    }

    /// <summary>The roster of a charter alone (founders with the given newest cards); kept for callers that hold no other membership records.</summary>
    public static Roster Compute(CharterInfo charter, IReadOnlyDictionary<NodeId, MemberCard> newestCards)
    {
        ArgumentNullException.ThrowIfNull(charter);
        ArgumentNullException.ThrowIfNull(newestCards);
        var standings = new Dictionary<NodeId, Standing>();
        foreach (var founder in charter.Founders)
        {
            var card = newestCards.TryGetValue(founder.Id, out var newer) && newer.IssuedUnixMs >= founder.Card.IssuedUnixMs ? newer : founder.Card;
            standings[founder.Id] = new Standing(founder.Id, StandingKind.Member, card, true, 0, "founder");
        }
        return new Roster(charter, standings, []);
    }
}
