using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Policy;

/// <summary>
/// The one place that decides who may receive what, by TLP label and audience. The sync
/// engine asks it before sending and on receiving. See docs/tlp.md.
/// </summary>
public static class TlpPolicy
{
    /// <summary>Whether <paramref name="node"/> may hold the record at all: the author, or in its audience (empty = all members).</summary>
    public static bool Entitled(RecordHeader header, NodeId node)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(node);
        if (header.Audience.Count == 0 || header.Author.Span.SequenceEqual(node.PublicKey))
        {
            return true;
        }
        foreach (var member in header.Audience)
        {
            if (member.Span.SequenceEqual(node.PublicKey))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether this node (<paramref name="self"/>) may send the record to <paramref name="peer"/>: the peer is entitled, and a RED record travels only from its author.</summary>
    public static bool MaySend(RecordHeader header, NodeId self, NodeId peer)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(self);
        if (!Entitled(header, peer))
        {
            return false;
        }
        return header.Tlp != Tlp.Red || header.Author.Span.SequenceEqual(self.PublicKey);
    }

    /// <summary>
    /// Whether two nodes may exchange a chain: both entitled to its records, and for a
    /// RED chain one of them is the author. Symmetric, so both sides digest the same chains.
    /// </summary>
    public static bool ChainShareable(RecordHeader anyRecordOfChain, NodeId a, NodeId b)
    {
        ArgumentNullException.ThrowIfNull(anyRecordOfChain);
        if (!Entitled(anyRecordOfChain, a) || !Entitled(anyRecordOfChain, b))
        {
            return false;
        }
        return anyRecordOfChain.Tlp != Tlp.Red
            || anyRecordOfChain.Author.Span.SequenceEqual(a.PublicKey)
            || anyRecordOfChain.Author.Span.SequenceEqual(b.PublicKey);
    }

    /// <summary>The same rule for a chain known by its head: author, audience (empty = all) and relay class.</summary>
    public static bool ChainShareable(ReadOnlySpan<byte> author, IReadOnlyList<byte[]> audience, bool red, NodeId a, NodeId b)
    {
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        bool Holds(NodeId n, ReadOnlySpan<byte> author)
        {
            if (audience.Count == 0 || author.SequenceEqual(n.PublicKey))
            {
                return true;
            }
            foreach (var member in audience)
            {
                if (member.AsSpan().SequenceEqual(n.PublicKey))
                {
                    return true;
                }
            }
            return false;
        }
        if (!Holds(a, author) || !Holds(b, author))
        {
            return false;
        }
        return !red || author.SequenceEqual(a.PublicKey) || author.SequenceEqual(b.PublicKey);
    }

    /// <summary>
    /// The receiving side's rules for a record that arrived from <paramref name="from"/>:
    /// the author is a member, this node is in the audience, RED only from its author,
    /// no content from a listener. Null when acceptable.
    /// </summary>
    public static Rejection? CheckIncoming(ValidatedRecord record, NodeId self, NodeId from, Roster roster)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(roster);
        var header = record.Header;
        var author = record.Author;
        var member = roster.Get(author);
        if (!roster.MayAuthor(author, header.Channel.Span, header.Seq))
        {
            var standing = roster.StandingOf(author);
            return new Rejection(RejectReason.NotMember, standing is null
                ? $"author {author} is not a member of this mesh"
                : $"author {author} is not a member of this mesh ({standing.Kind}: {standing.Reason})");
        }
        if (!Entitled(header, self))
        {
            return new Rejection(RejectReason.NotInAudience, "this node is not in the record's audience");
        }
        if (header.Tlp == Tlp.Red && !author.Equals(from))
        {
            return new Rejection(RejectReason.RedRelayed, $"TLP:RED record relayed by {from}; RED travels only from its author");
        }
        if (member is not null && member.IsListener && IsContent(header.Kind))
        {
            return new Rejection(RejectReason.ListenerPublished, $"{member.Card.Name} is a listener and may not publish {RecordKinds.Name(header.Kind)} records");
        }
        return null;
    }

    /// <summary>Content kinds (what a listener may not publish).</summary>
    public static bool IsContent(RecordKind kind) => kind is RecordKind.Advisory or RecordKind.Incident or RecordKind.Practice
        or RecordKind.Rfi or RecordKind.Answer or RecordKind.Sighting or RecordKind.Assessment;
}
