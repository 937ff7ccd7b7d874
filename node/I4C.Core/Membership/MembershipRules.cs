using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using NSec.Cryptography;

namespace I4C.Core.Membership;

/// <summary>Where a key stands in the mesh.</summary>
public enum StandingKind
{
    Member,
    Applicant,
    Revoked,
    Replaced,
}

/// <summary>A key's standing, with the card it is known by and why it is (not) a member.</summary>
public sealed record Standing(NodeId Id, StandingKind Kind, MemberCard Card, bool Founder, int Endorsements, string Reason);

/// <summary>
/// Membership as a pure function of the membership records a node holds: charter,
/// member cards, endorsements (carrying the applicants' join requests), revocations and
/// key rotations. The arrival order of records never matters, and duplicates do not count
/// twice, so every node holding the same records computes the same roster.
/// <list type="number">
/// <item>E, the keys ever admitted: the least fixpoint of founders ∪ applicants endorsed by
/// at least k distinct voters of E other than themselves ∪ new keys rotated to from E.</item>
/// <item>R, the revoked keys: keys of E that revoked themselves, or that at least the
/// revocation threshold of distinct other voters of E revoked. Revocation is final.</item>
/// <item>Replaced: keys of E \ R that rotated to a new key (one rotation per key: the record with the smallest id).</item>
/// <item>M, the members: the least fixpoint, with R fixed, of founders \ R ∪ applicants not in R
/// endorsed by k distinct voters of M \ Replaced (or revoked/replaced keys whose endorsement lies
/// within the chain marks recorded for them) ∪ new keys (not in R) rotated to from M; minus Replaced.</item>
/// </list>
/// A voter is one member whatever key it signs with: the keys joined by valid rotations (signed
/// by the old key, countersigned by the new) are one voter, so rotating never adds a vote.
/// </summary>
public static class MembershipRules
{
    public static ReadOnlySpan<byte> AgreementPrefix => "I4C-AGREEMENT-V1\0"u8;
    public static ReadOnlySpan<byte> RotationPrefix => "I4C-ROTATE-V1\0"u8;

    public static byte[] AgreementBytes(ReadOnlySpan<byte> meshId, ReadOnlySpan<byte> agreementSha256, ReadOnlySpan<byte> signer) =>
        [.. AgreementPrefix, .. meshId, .. agreementSha256, .. signer];

    public static byte[] RotationBytes(ReadOnlySpan<byte> meshId, ReadOnlySpan<byte> oldKey, ReadOnlySpan<byte> newKey) =>
        [.. RotationPrefix, .. meshId, .. oldKey, .. newKey];

    public static AgreementSignature SignAgreement(NodeIdentity applicant, CharterInfo charter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(applicant);
        ArgumentNullException.ThrowIfNull(charter);
        return new AgreementSignature
        {
            MeshId = ByteString.CopyFrom(charter.MeshId),
            AgreementSha256 = charter.Charter.AgreementSha256,
            Signer = ByteString.CopyFrom(applicant.Id.PublicKey),
            SignedUnixMs = now.ToUnixTimeMilliseconds(),
            Signature = ByteString.CopyFrom(applicant.Sign(AgreementBytes(charter.MeshId, charter.Charter.AgreementSha256.Span, applicant.Id.PublicKey))),
        };
    }

    private static bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        PublicKey.TryImport(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey, out var pk) && pk is not null &&
        SignatureAlgorithm.Ed25519.Verify(pk, data, signature);

    /// <summary>Checks a join request against the charter; returns the applicant's card record, or throws with what is wrong.</summary>
    public static (NodeId Applicant, MemberCard Card) CheckJoinRequest(JoinRequest request, CharterInfo charter, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(charter);
        ArgumentNullException.ThrowIfNull(validator);
        if (request.Card is null || request.Agreement is null)
        {
            throw new CharterException("the join request lacks the applicant's card or agreement signature.");
        }
        var result = validator.Validate(request.Card);
        if (!result.IsValid || result.Record!.Header.Kind != RecordKind.MemberCard || result.Record.Payload is null)
        {
            throw new CharterException($"the applicant's card does not verify: {result.Rejection?.ToString() ?? "not a member card with its payload"}.");
        }
        var card = MemberCard.Parser.ParseFrom(result.Record.Payload);
        if (MemberCards.Problem(card) is { } problem)
        {
            throw new CharterException($"the applicant's card is invalid: {problem}.");
        }
        var agreement = request.Agreement;
        if (!agreement.Signer.Span.SequenceEqual(result.Record.Author.PublicKey))
        {
            throw new CharterException("the agreement was signed by another key than the card's.");
        }
        if (!agreement.MeshId.Span.SequenceEqual(charter.MeshId) || agreement.AgreementSha256 != charter.Charter.AgreementSha256)
        {
            throw new CharterException("the agreement signature is for another mesh or another version of the agreement.");
        }
        if (!Verify(agreement.Signer.Span, AgreementBytes(agreement.MeshId.Span, agreement.AgreementSha256.Span, agreement.Signer.Span), agreement.Signature.Span))
        {
            throw new CharterException("the applicant's signature over the agreement does not verify.");
        }
        return (result.Record.Author, card);
    }

    private sealed record Rotation(NodeId Old, NodeId New, MemberCard NewCard, RecordId RecordId, IReadOnlyList<ChainMark> Marks);

    /// <summary>Computes the roster from the charter and every membership record held (any order, duplicates allowed).</summary>
    public static Roster Compute(CharterInfo charter, IEnumerable<ValidatedRecord> records, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(charter);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(validator);
        var k = (int)charter.Charter.AdmissionThreshold;
        var rk = (int)charter.Charter.RevocationThreshold;
        var founders = charter.Founders.ToDictionary(f => f.Id, f => f.Card);

        var seen = new HashSet<RecordId>();
        var endorsers = new Dictionary<NodeId, HashSet<NodeId>>();
        var endorsementPositions = new Dictionary<(NodeId Applicant, NodeId Endorser), List<(string Channel, ulong Seq)>>();
        var applicantCards = new Dictionary<NodeId, MemberCard>();
        var revokers = new Dictionary<NodeId, HashSet<NodeId>>();
        var revocationReasons = new Dictionary<NodeId, string>();
        var marks = new Dictionary<NodeId, Dictionary<string, ulong>>();
        var rotations = new Dictionary<NodeId, Rotation>();
        var voterOf = new Dictionary<NodeId, NodeId>(); // union-find over valid rotations: old and new key are one voter
        var newestCards = new Dictionary<NodeId, (ulong Seq, MemberCard Card)>();

        foreach (var record in records)
        {
            if (!seen.Add(record.Id) || record.Payload is null)
            {
                continue;
            }
            try
            {
                switch (record.Header.Kind)
                {
                    case RecordKind.MemberCard when Channels.IsMesh(record.Channel):
                        var card = MemberCard.Parser.ParseFrom(record.Payload);
                        if (MemberCards.Problem(card) is null && (!newestCards.TryGetValue(record.Author, out var known) || record.Seq > known.Seq))
                        {
                            newestCards[record.Author] = (record.Seq, card);
                        }
                        break;
                    case RecordKind.Endorsement:
                        var endorsement = Endorsement.Parser.ParseFrom(record.Payload);
                        var (applicant, applicantCard) = CheckJoinRequest(endorsement.Request, charter, validator);
                        if (applicant.Equals(record.Author))
                        {
                            break; // nobody endorses itself
                        }
                        if (!endorsers.TryGetValue(applicant, out var set))
                        {
                            endorsers[applicant] = set = [];
                        }
                        set.Add(record.Author);
                        if (!endorsementPositions.TryGetValue((applicant, record.Author), out var positions))
                        {
                            endorsementPositions[(applicant, record.Author)] = positions = [];
                        }
                        positions.Add((Convert.ToHexString(record.Channel), record.Seq));
                        if (!applicantCards.TryGetValue(applicant, out var existing) || applicantCard.IssuedUnixMs > existing.IssuedUnixMs)
                        {
                            applicantCards[applicant] = applicantCard;
                        }
                        break;
                    case RecordKind.Revocation:
                        var revocation = Revocation.Parser.ParseFrom(record.Payload);
                        if (revocation.Subject.Length != 32)
                        {
                            break;
                        }
                        var subject = NodeId.FromPublicKey(revocation.Subject.Span);
                        if (!revokers.TryGetValue(subject, out var by))
                        {
                            revokers[subject] = by = [];
                        }
                        by.Add(record.Author);
                        if (!revocationReasons.ContainsKey(subject) || record.Author.Equals(subject))
                        {
                            revocationReasons[subject] = revocation.Reason;
                        }
                        AddMarks(marks, subject, revocation.Marks);
                        if (record.Author.Equals(subject))
                        {
                            // A key's own revocation (leaving) is the last record it signs, and valid like those before it.
                            AddMarks(marks, subject, [OwnPosition(record)]);
                        }
                        break;
                    case RecordKind.KeyRotation:
                        var rotation = KeyRotation.Parser.ParseFrom(record.Payload);
                        if (rotation.NewKey.Length != 32 || rotation.NewKey.Span.SequenceEqual(record.Author.PublicKey) ||
                            !Verify(rotation.NewKey.Span, RotationBytes(charter.MeshId, record.Author.PublicKey, rotation.NewKey.Span), rotation.NewKeySignature.Span))
                        {
                            break;
                        }
                        var newCard = validator.Validate(rotation.NewCard);
                        if (!newCard.IsValid || newCard.Record!.Header.Kind != RecordKind.MemberCard || !newCard.Record.Author.PublicKey.SequenceEqual(rotation.NewKey.Span) || newCard.Record.Payload is null)
                        {
                            break;
                        }
                        var parsedNewCard = MemberCard.Parser.ParseFrom(newCard.Record.Payload);
                        if (MemberCards.Problem(parsedNewCard) is not null)
                        {
                            break;
                        }
                        // The rotation record itself is the old key's last valid record.
                        var candidate = new Rotation(record.Author, NodeId.FromPublicKey(rotation.NewKey.Span), parsedNewCard, record.Id, [.. rotation.Marks, OwnPosition(record)]);
                        var (oldVoter, newVoter) = (VoterOf(voterOf, candidate.Old), VoterOf(voterOf, candidate.New));
                        if (!oldVoter.Equals(newVoter))
                        {
                            voterOf[newVoter] = oldVoter;
                        }
                        if (!rotations.TryGetValue(record.Author, out var current) || string.CompareOrdinal(candidate.RecordId.ToString(), current.RecordId.ToString()) < 0)
                        {
                            rotations[record.Author] = candidate;
                        }
                        break;
                }
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or CharterException)
            {
                // A membership record with a bad payload or a bad join request counts for nothing.
            }
        }

        // Distinct voters (not keys) that voted on the subject, other than the subject's own.
        int Distinct(NodeId subject, IEnumerable<NodeId> keys)
        {
            var self = VoterOf(voterOf, subject);
            return keys.Select(v => VoterOf(voterOf, v)).Where(v => !v.Equals(self)).Distinct().Count();
        }
        int Count(NodeId subject, Dictionary<NodeId, HashSet<NodeId>> votes, ISet<NodeId> electorate) =>
            votes.TryGetValue(subject, out var voters) ? Distinct(subject, voters.Where(electorate.Contains)) : 0;

        // 1. Ever admitted.
        var ever = new HashSet<NodeId>(founders.Keys);
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var applicant in endorsers.Keys)
            {
                if (!ever.Contains(applicant) && Count(applicant, endorsers, ever) >= k)
                {
                    changed |= ever.Add(applicant);
                }
            }
            foreach (var rotation in rotations.Values)
            {
                if (ever.Contains(rotation.Old) && !ever.Contains(rotation.New))
                {
                    changed |= ever.Add(rotation.New);
                }
            }
        }

        // 2. Revoked (final), counted by keys ever admitted.
        var revoked = new HashSet<NodeId>();
        foreach (var (subject, voters) in revokers)
        {
            if (ever.Contains(subject) && (voters.Contains(subject) || Count(subject, revokers, ever) >= rk))
            {
                revoked.Add(subject);
            }
        }

        // 3. Replaced by a rotation (unless revoked first).
        // A key that rotated away stays away, even if its new key is later revoked: the old key
        // may be the exposed one, so revoking the new key must not bring it back.
        var replaced = rotations.Values.Where(r => ever.Contains(r.Old) && !revoked.Contains(r.Old)).ToDictionary(r => r.Old);

        // An endorsement keeps counting after its endorser was revoked or rotated away, when it
        // lies within the chain marks recorded then (what a key published before stays valid).
        bool WithinMarks(NodeId endorser, NodeId applicant) =>
            marks.TryGetValue(endorser, out var byChannel) && endorsementPositions.TryGetValue((applicant, endorser), out var positions) &&
            positions.Any(p => byChannel.TryGetValue(p.Channel, out var last) && p.Seq <= last);
        foreach (var rotation in replaced.Values)
        {
            AddMarks(marks, rotation.Old, rotation.Marks);
        }
        // A replaced key is no current member: its endorsements count within its rotation's marks only.
        int Endorsing(NodeId applicant, ISet<NodeId> current) =>
            endorsers.TryGetValue(applicant, out var voters)
                ? Distinct(applicant, voters.Where(v => (current.Contains(v) && !replaced.ContainsKey(v)) ||
                    ((revoked.Contains(v) || replaced.ContainsKey(v)) && WithinMarks(v, applicant))))
                : 0;

        // 4. Members.
        var members = new HashSet<NodeId>(founders.Keys.Where(f => !revoked.Contains(f)));
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var applicant in endorsers.Keys)
            {
                if (!members.Contains(applicant) && !revoked.Contains(applicant) && Endorsing(applicant, members) >= k)
                {
                    changed |= members.Add(applicant);
                }
            }
            foreach (var rotation in replaced.Values)
            {
                if (members.Contains(rotation.Old) && !members.Contains(rotation.New) && !revoked.Contains(rotation.New))
                {
                    changed |= members.Add(rotation.New);
                }
            }
        }
        members.ExceptWith(replaced.Keys);

        MemberCard CardOf(NodeId id)
        {
            MemberCard? best = null;
            if (founders.TryGetValue(id, out var founderCard))
            {
                best = founderCard;
            }
            if (applicantCards.TryGetValue(id, out var applied) && (best is null || applied.IssuedUnixMs > best.IssuedUnixMs))
            {
                best = applied;
            }
            var rotatedTo = rotations.Values.FirstOrDefault(r => r.New.Equals(id));
            if (rotatedTo is not null && (best is null || rotatedTo.NewCard.IssuedUnixMs > best.IssuedUnixMs))
            {
                best = rotatedTo.NewCard;
            }
            if (newestCards.TryGetValue(id, out var newest) && (best is null || newest.Card.IssuedUnixMs >= best.IssuedUnixMs))
            {
                best = newest.Card;
            }
            return best ?? new MemberCard();
        }

        var standings = new Dictionary<NodeId, Standing>();
        foreach (var id in ever.Concat(endorsers.Keys).Distinct())
        {
            var founder = founders.ContainsKey(id);
            var endorsements = Endorsing(id, members);
            Standing standing;
            if (members.Contains(id))
            {
                var via = rotations.Values.FirstOrDefault(r => r.New.Equals(id) && replaced.ContainsKey(r.Old));
                standing = new Standing(id, StandingKind.Member, CardOf(id), founder, endorsements,
                    founder ? "founder" : via is not null ? $"rotated from {via.Old.Text[..12]}" : $"admitted by {Count(id, endorsers, ever)} endorsements");
            }
            else if (revoked.Contains(id))
            {
                var self = revokers[id].Contains(id);
                var reason = revocationReasons.GetValueOrDefault(id) ?? string.Empty;
                standing = new Standing(id, StandingKind.Revoked, CardOf(id), founder, endorsements,
                    self ? $"left or revoked its own key: {reason}" : $"revoked by {Count(id, revokers, ever)} members: {reason}");
            }
            else if (replaced.TryGetValue(id, out var rotation))
            {
                standing = new Standing(id, StandingKind.Replaced, CardOf(id), founder, endorsements, $"key rotated to {rotation.New.Text[..12]}");
            }
            else
            {
                var pendingRevocations = Count(id, revokers, ever);
                standing = new Standing(id, StandingKind.Applicant, CardOf(id), founder, endorsements,
                    $"{endorsements} of {k} endorsements by current members" + (pendingRevocations > 0 ? $"; {pendingRevocations} revocation(s) pending" : string.Empty));
            }
            standings[id] = standing;
        }
        foreach (var (subject, _) in revokers)
        {
            if (standings.TryGetValue(subject, out var s) && s.Kind == StandingKind.Member)
            {
                var pending = Count(subject, revokers, ever);
                if (pending > 0)
                {
                    standings[subject] = s with { Reason = $"{s.Reason}; {pending} of {rk} revocations" };
                }
            }
        }
        return new Roster(charter, standings, marks);
    }

    /// <summary>The key that stands for the voter <paramref name="key"/> belongs to (its keys are joined by rotations).</summary>
    private static NodeId VoterOf(Dictionary<NodeId, NodeId> voterOf, NodeId key)
    {
        while (voterOf.TryGetValue(key, out var up))
        {
            key = up;
        }
        return key;
    }

    private static ChainMark OwnPosition(ValidatedRecord record) => new() { Channel = ByteString.CopyFrom(record.Channel), Seq = record.Seq };

    private static void AddMarks(Dictionary<NodeId, Dictionary<string, ulong>> marks, NodeId subject, IEnumerable<ChainMark> chainMarks)
    {
        if (!marks.TryGetValue(subject, out var bySubject))
        {
            marks[subject] = bySubject = new Dictionary<string, ulong>(StringComparer.Ordinal);
        }
        foreach (var mark in chainMarks)
        {
            var key = Convert.ToHexString(mark.Channel.Span);
            bySubject[key] = Math.Max(bySubject.GetValueOrDefault(key), mark.Seq);
        }
    }
}
