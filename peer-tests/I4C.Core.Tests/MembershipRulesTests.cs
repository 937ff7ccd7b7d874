using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;

namespace I4C.Core.Tests;

/// <summary>
/// <see cref="MembershipRules.Compute"/> on hand-built scenarios: admission at the
/// threshold, revocation, key rotation and join requests that must count for nothing.
/// Records are built as the node builds them (<see cref="MembershipFixture"/>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class MembershipRulesTests : IDisposable
{
    private const uint K = 2;
    private const uint RevocationThreshold = 2;

    private readonly MembershipFixture _mesh = new(founders: 3, K, RevocationThreshold);

    public void Dispose() => _mesh.Dispose();

    private TestAuthor F1 => _mesh.Founders[0];

    private TestAuthor F2 => _mesh.Founders[1];

    private TestAuthor F3 => _mesh.Founders[2];

    private static Standing StandingOf(Roster roster, TestAuthor node)
    {
        var standing = roster.StandingOf(node.Id);
        Assert.True(standing is not null, "the key is unknown to the roster");
        return standing;
    }

    private static void AssertStanding(Roster roster, TestAuthor node, StandingKind kind, params string[] reasonParts)
    {
        var standing = StandingOf(roster, node);
        Assert.True(kind == standing.Kind, $"expected {kind}, got {standing.Kind} ({standing.Reason})");
        Assert.Equal(kind == StandingKind.Member, roster.IsMember(node.Id));
        foreach (var part in reasonParts)
        {
            Assert.Contains(part, standing.Reason, StringComparison.Ordinal);
        }
    }

    /// <summary>The records forward, reversed and in a few fixed shuffles: the roster must not depend on arrival order.</summary>
    private static IEnumerable<ValidatedRecord[]> Orders(params ValidatedRecord[] records)
    {
        yield return records;
        yield return [.. records.Reverse()];
        var random = new Random(1234);
        for (var i = 0; i < 6; i++)
        {
            var shuffled = records.ToArray();
            random.Shuffle(shuffled);
            yield return shuffled;
        }
    }

    // --- the charter alone -----------------------------------------------------------------

    [Fact]
    public void Compute_CharterAlone_FoundersAreMembers()
    {
        // Act
        var roster = _mesh.Compute();

        // Assert
        Assert.Equal(_mesh.Founders.Select(f => f.Id).ToHashSet(), roster.Members.Select(m => m.Id).ToHashSet());
        foreach (var founder in _mesh.Founders)
        {
            AssertStanding(roster, founder, StandingKind.Member, "founder");
            Assert.True(StandingOf(roster, founder).Founder);
            Assert.Equal(_mesh.NameOf(founder.Id), StandingOf(roster, founder).Card.Name);
        }
    }

    // --- 1. admission at exactly the threshold -----------------------------------------------

    [Fact]
    public void Compute_OneEndorsementOfTwo_IsApplicantOneOfTwo()
    {
        // Arrange
        var a = _mesh.Applicant("City A");

        // Act
        var roster = _mesh.Compute(_mesh.Endorse(F1, a));

        // Assert
        AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
        Assert.Equal(1, StandingOf(roster, a).Endorsements);
        Assert.Equal("City A", StandingOf(roster, a).Card.Name);
        Assert.Equal(3, roster.Members.Count);
    }

    [Fact]
    public void Compute_TwoDistinctMemberEndorsements_IsMember()
    {
        // Arrange
        var a = _mesh.Applicant("City A");
        var records = new[] { _mesh.Endorse(F1, a), _mesh.Endorse(F2, a) };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, a, StandingKind.Member, "admitted by 2 endorsements");
            Assert.False(StandingOf(roster, a).Founder);
            Assert.Equal(2, StandingOf(roster, a).Endorsements);
            Assert.Equal(4, roster.Members.Count);
            Assert.Equal(_mesh.CardOf(a).X25519Key, roster.Get(a.Id)!.Card.X25519Key);
        }
    }

    [Fact]
    public void Compute_SameMemberEndorsesTwice_CountsOnce()
    {
        // Arrange: two distinct endorsement records (seq 2 and 3 of F1), same endorser.
        var a = _mesh.Applicant("City A");
        var first = _mesh.Endorse(F1, a);
        var second = _mesh.Endorse(F1, a);
        Assert.NotEqual(first.Id, second.Id);

        // Act
        var roster = _mesh.Compute(first, second);

        // Assert
        AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
    }

    [Fact]
    public void Compute_ApplicantEndorsesItself_DoesNotCount()
    {
        // Arrange
        var a = _mesh.Applicant("City A");

        // Act
        var roster = _mesh.Compute(_mesh.Endorse(a, a), _mesh.Endorse(F1, a));

        // Assert
        AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
    }

    [Fact]
    public void Compute_EndorsementByAnotherApplicant_CountsOnlyOnceThatApplicantIsAdmitted()
    {
        // Arrange: B is endorsed by applicant A and founder F3; A has one endorsement.
        var a = _mesh.Applicant("City A");
        var b = _mesh.Applicant("City B");
        var byA = _mesh.Endorse(a, b);
        var byF3 = _mesh.Endorse(F3, b);
        var aByF1 = _mesh.Endorse(F1, a);
        var aByF2 = _mesh.Endorse(F2, a);

        // Act
        var before = _mesh.Compute(byA, byF3, aByF1);

        // Assert: A is not a member, so its endorsement of B counts for nothing yet.
        AssertStanding(before, a, StandingKind.Applicant, "1 of 2");
        AssertStanding(before, b, StandingKind.Applicant, "1 of 2");

        // Act / Assert: once A is admitted (F2's endorsement), B is admitted through A, whatever the order.
        foreach (var order in Orders(byA, byF3, aByF1, aByF2))
        {
            var after = _mesh.Compute(order);
            AssertStanding(after, a, StandingKind.Member);
            AssertStanding(after, b, StandingKind.Member);
            Assert.Equal(5, after.Members.Count);
        }
    }

    // --- 2. revocation -------------------------------------------------------------------

    [Fact]
    public void Compute_OneRevocationOfTwo_StaysMemberWithOneOfTwoPending()
    {
        // Act
        var roster = _mesh.Compute(_mesh.Revoke(F1, F3.Id, "leaked a RED report"));

        // Assert
        AssertStanding(roster, F3, StandingKind.Member, "founder", "1 of 2 revocations");
    }

    [Fact]
    public void Compute_TwoRevocations_Revokes()
    {
        // Arrange
        var records = new[] { _mesh.Revoke(F1, F3.Id, "leaked a RED report"), _mesh.Revoke(F2, F3.Id, "leaked a RED report") };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, F3, StandingKind.Revoked, "revoked by 2 members", "leaked a RED report");
            Assert.Equal(2, roster.Members.Count);
            Assert.Null(roster.Get(F3.Id));
        }
    }

    [Fact]
    public void Compute_SameMemberRevokesTwice_CountsOnce()
    {
        // Act
        var roster = _mesh.Compute(_mesh.Revoke(F1, F3.Id), _mesh.Revoke(F1, F3.Id));

        // Assert
        AssertStanding(roster, F3, StandingKind.Member, "1 of 2 revocations");
    }

    [Fact]
    public void Compute_RevocationsByNonMembers_DoNotCount()
    {
        // Arrange: two applicants that were never admitted revoke a founder.
        var a = _mesh.Applicant("City A");
        var b = _mesh.Applicant("City B");

        // Act
        var roster = _mesh.Compute(_mesh.Endorse(F1, a), _mesh.Revoke(a, F3.Id), _mesh.Revoke(b, F3.Id));

        // Assert
        AssertStanding(roster, F3, StandingKind.Member);
    }

    [Fact]
    public void Compute_SelfRevocation_RevokesAlone()
    {
        // Act
        var roster = _mesh.Compute(_mesh.Revoke(F3, F3.Id, "the city leaves"));

        // Assert
        AssertStanding(roster, F3, StandingKind.Revoked, "left or revoked its own key", "the city leaves");
        Assert.True(StandingOf(roster, F3).Founder);
    }

    [Fact]
    public void Compute_RevokedKeyEndorsedAgain_IsNeverReadmitted()
    {
        // Arrange: A is admitted, revoked by two members, then endorsed again with a fresh join request.
        var a = _mesh.Applicant("City A");
        var records = new List<ValidatedRecord>
        {
            _mesh.Endorse(F1, a),
            _mesh.Endorse(F2, a),
            _mesh.Revoke(F1, a.Id),
            _mesh.Revoke(F2, a.Id),
        };
        _mesh.WriteCard(a);
        records.Add(_mesh.Endorse(F3, a));
        records.Add(_mesh.Endorse(F1, a));
        records.Add(_mesh.Endorse(F2, a));

        foreach (var order in Orders([.. records]))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, a, StandingKind.Revoked);
        }
    }

    [Fact]
    public void Compute_RevokedFounderEndorsed_IsNeverReadmitted()
    {
        // Act
        var roster = _mesh.Compute(
            _mesh.Revoke(F3, F3.Id, "compromised"),
            _mesh.Endorse(F1, _mesh.JoinRequest(F3)),
            _mesh.Endorse(F2, _mesh.JoinRequest(F3)));

        // Assert
        AssertStanding(roster, F3, StandingKind.Revoked, "compromised");
    }

    [Fact]
    public void Compute_EndorsementsBeforeALeave_StillCountBecauseTheLeaveMarksItsOwnPosition()
    {
        // Arrange: F1 endorses A, then leaves with a revocation that records none of its chain.
        var a = _mesh.Applicant("City A");
        var records = new[] { _mesh.Endorse(F1, a), _mesh.Endorse(F2, a), _mesh.Revoke(F1, F1.Id, "the city leaves") };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert: a key's own revocation is its last valid record, so what it signed before
            // (its endorsement) stays valid and counts.
            AssertStanding(roster, F1, StandingKind.Revoked);
            AssertStanding(roster, a, StandingKind.Member);
        }
    }

    [Fact]
    public void Compute_EndorsementByRevokedMemberBeyondItsMarks_DoesNotCount()
    {
        // Arrange: F3 endorses A (seq 2); the two members revoking F3 held its chain up to seq 1 only.
        var a = _mesh.Applicant("City A");
        var byF3 = _mesh.Endorse(F3, a);
        Assert.Equal(2UL, byF3.Seq);
        var records = new[]
        {
            byF3,
            _mesh.Endorse(F1, a),
            _mesh.Revoke(F1, F3.Id, "misuse", MembershipFixture.MeshMark(1)),
            _mesh.Revoke(F2, F3.Id, "misuse", MembershipFixture.MeshMark(1)),
        };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, F3, StandingKind.Revoked);
            AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
        }
    }

    [Fact]
    public void Compute_EndorsementByRevokedMemberWithinItsMarks_StillCounts()
    {
        // Arrange: as above, but the revokers held F3's endorsement (mark 2): what F3 published before stays valid.
        var a = _mesh.Applicant("City A");
        var byF3 = _mesh.Endorse(F3, a);
        var records = new[]
        {
            byF3,
            _mesh.Endorse(F1, a),
            _mesh.Revoke(F1, F3.Id, "misuse", MembershipFixture.MeshMark(byF3.Seq)),
            _mesh.Revoke(F2, F3.Id, "misuse", MembershipFixture.MeshMark(1)),
        };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert: the highest mark of any revocation counts.
            AssertStanding(roster, F3, StandingKind.Revoked);
            AssertStanding(roster, a, StandingKind.Member);
        }
    }

    [Fact]
    public void MayAuthor_RevokedKey_AcceptsRecordsUpToTheMarkOnly()
    {
        // Arrange: F3 wrote its card (seq 1) and one more record (seq 2) before two members revoked it at that head.
        var a = _mesh.Applicant("City A");
        var f3Record = _mesh.Endorse(F3, a);
        Assert.Equal(2UL, f3Record.Seq);
        var mark = MembershipFixture.MeshMark(2);
        var otherChannel = RandomNumberGenerator.GetBytes(32);

        // Act
        var pending = _mesh.Compute(_mesh.Revoke(F1, F3.Id, "misuse", mark));
        var revoked = _mesh.Compute(_mesh.Revoke(F1, F3.Id, "misuse", mark), _mesh.Revoke(F2, F3.Id, "misuse", mark));

        // Assert
        Assert.True(pending.MayAuthor(F3.Id, Channels.Mesh, 1000), "a member with one revocation of two still authors");
        AssertStanding(revoked, F3, StandingKind.Revoked);
        Assert.True(revoked.MayAuthor(F3.Id, Channels.Mesh, 1));
        Assert.True(revoked.MayAuthor(F3.Id, Channels.Mesh, 2));
        Assert.False(revoked.MayAuthor(F3.Id, Channels.Mesh, 3));
        Assert.False(revoked.MayAuthor(F3.Id, otherChannel, 1), "no mark on that channel: nothing stays valid");
        Assert.True(revoked.MayAuthor(F1.Id, Channels.Mesh, 1000));
        Assert.False(revoked.MayAuthor(a.Id, Channels.Mesh, 1), "an applicant authors nothing the mesh accepts");
    }

    // --- 3. key rotation -----------------------------------------------------------------

    [Fact]
    public void Compute_ValidRotation_MovesMembershipToTheNewKey()
    {
        // Arrange
        var next = _mesh.NewAuthor("Founder 1, new key");
        var rotation = _mesh.Rotate(F1, next);

        // Act
        var roster = _mesh.Compute(rotation);

        // Assert
        AssertStanding(roster, next, StandingKind.Member, "rotated from");
        AssertStanding(roster, F1, StandingKind.Replaced, "key rotated to");
        Assert.Equal(3, roster.Members.Count);
        Assert.Equal(next.Identity.AgreementPublicKey, roster.Get(next.Id)!.Card.X25519Key.ToByteArray());
    }

    public enum BadCountersignature
    {
        SignedByOldKey,
        OverAnotherNewKey,
        ForAnotherMesh,
        Empty,
    }

    [Theory]
    [InlineData(BadCountersignature.SignedByOldKey)]
    [InlineData(BadCountersignature.OverAnotherNewKey)]
    [InlineData(BadCountersignature.ForAnotherMesh)]
    [InlineData(BadCountersignature.Empty)]
    public void Compute_RotationWithWrongCountersignature_IsIgnored(BadCountersignature bad)
    {
        // Arrange
        var next = _mesh.NewAuthor("Founder 1, new key");
        using var stranger = NodeIdentity.Create();
        var signature = bad switch
        {
            BadCountersignature.SignedByOldKey => F1.Identity.Sign(MembershipRules.RotationBytes(_mesh.MeshId, F1.Id.PublicKey, next.Id.PublicKey)),
            BadCountersignature.OverAnotherNewKey => next.Identity.Sign(MembershipRules.RotationBytes(_mesh.MeshId, F1.Id.PublicKey, stranger.Id.PublicKey)),
            BadCountersignature.ForAnotherMesh => next.Identity.Sign(MembershipRules.RotationBytes(RandomNumberGenerator.GetBytes(32), F1.Id.PublicKey, next.Id.PublicKey)),
            _ => [],
        };

        // Act
        var roster = _mesh.Compute(_mesh.Rotate(F1, next, newKeySignature: signature));

        // Assert
        AssertStanding(roster, F1, StandingKind.Member, "founder");
        Assert.Null(roster.StandingOf(next.Id));
        Assert.Equal(3, roster.Members.Count);
    }

    [Fact]
    public void Compute_RotationWhoseNewCardIsByAnotherKey_IsIgnored()
    {
        // Arrange: the countersignature is right, but the card carried is the card of another key.
        var next = _mesh.NewAuthor("Founder 1, new key");
        var other = _mesh.Applicant("Somebody else");

        // Act
        var roster = _mesh.Compute(_mesh.Rotate(F1, next, newCard: _mesh.CardRecordOf(other).ToWire()));

        // Assert
        AssertStanding(roster, F1, StandingKind.Member, "founder");
        Assert.Null(roster.StandingOf(next.Id));
        Assert.Null(roster.StandingOf(other.Id));
    }

    [Fact]
    public void Compute_RotationByRevokedKey_GivesNothingToTheNewKeyInAnyOrder()
    {
        // Arrange: once revoked by two members, once revoked by itself.
        var next = _mesh.NewAuthor("Founder 3, new key");
        var byOthers = new[] { _mesh.Revoke(F1, F3.Id), _mesh.Revoke(F2, F3.Id), _mesh.Rotate(F3, next) };
        var leaver = _mesh.NewAuthor("Founder 2, new key");
        var bySelf = new[] { _mesh.Revoke(F2, F2.Id), _mesh.Rotate(F2, leaver) };

        foreach (var order in Orders(byOthers))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, F3, StandingKind.Revoked);
            Assert.False(roster.IsMember(next.Id));
            Assert.False(roster.MayAuthor(next.Id, Channels.Mesh, 1));
        }
        foreach (var order in Orders(bySelf))
        {
            var roster = _mesh.Compute(order);
            AssertStanding(roster, F2, StandingKind.Revoked);
            Assert.False(roster.IsMember(leaver.Id));
        }
    }

    [Fact]
    public void Compute_TwoRotationsFromTheSameOldKey_SmallestRecordIdWinsInAnyOrder()
    {
        // Arrange: F1 signs two rotations, to two different keys.
        var first = _mesh.NewAuthor("Founder 1, key A");
        var second = _mesh.NewAuthor("Founder 1, key B");
        var toFirst = _mesh.Rotate(F1, first);
        var toSecond = _mesh.Rotate(F1, second);
        var (winner, loser) = string.CompareOrdinal(toFirst.Id.ToString(), toSecond.Id.ToString()) < 0 ? (first, second) : (second, first);

        foreach (var order in Orders(toFirst, toSecond))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, winner, StandingKind.Member, "rotated from");
            Assert.False(roster.IsMember(loser.Id));
            AssertStanding(roster, F1, StandingKind.Replaced, $"key rotated to {winner.Id.Text[..12]}");
            Assert.Equal(3, roster.Members.Count);
        }
    }

    [Fact]
    public void MayAuthor_ReplacedKey_AcceptsRecordsUpToTheRotationMarkOnly()
    {
        // Arrange: F1 wrote its card (seq 1) and an endorsement (seq 2), then rotates (seq 3) with mark 2.
        var a = _mesh.Applicant("City A");
        var endorsement = _mesh.Endorse(F1, a);
        var next = _mesh.NewAuthor("Founder 1, new key");
        var rotation = _mesh.Rotate(F1, next, marks: MembershipFixture.MeshMark(endorsement.Seq));

        // Act
        var roster = _mesh.Compute(endorsement, rotation);

        // Assert
        AssertStanding(roster, F1, StandingKind.Replaced);
        Assert.True(roster.MayAuthor(F1.Id, Channels.Mesh, 2));
        Assert.True(roster.MayAuthor(F1.Id, Channels.Mesh, 3)); // the rotation record itself
        Assert.False(roster.MayAuthor(F1.Id, Channels.Mesh, 4));
        Assert.True(roster.MayAuthor(next.Id, Channels.Mesh, 1));
    }

    [Fact]
    public void Compute_EndorsementByOldKeyBeforeRotating_StillCounts()
    {
        // Arrange: F1 endorses A (seq 2), then rotates with its head as mark, as the node does; F2 endorses A.
        var a = _mesh.Applicant("City A");
        var next = _mesh.NewAuthor("Founder 1, new key");
        var byF1 = _mesh.Endorse(F1, a);
        var records = new[] { byF1, _mesh.Rotate(F1, next, marks: MembershipFixture.MeshMark(byF1.Seq)), _mesh.Endorse(F2, a) };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, a, StandingKind.Member);
            Assert.Equal(2, StandingOf(roster, a).Endorsements);
            AssertStanding(roster, next, StandingKind.Member);
            AssertStanding(roster, F1, StandingKind.Replaced);
        }
    }

    [Fact]
    public void Compute_NewKeyOfARotationRevoked_OldKeyStaysReplaced()
    {
        // Arrange: the city rotated away from a possibly exposed key, then leaves with the new
        // one; the old key must not become a member again.
        var next = _mesh.NewAuthor("Founder 1, new key");
        var records = new[] { _mesh.Rotate(F1, next), _mesh.Revoke(next, next.Id, "the city leaves") };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, next, StandingKind.Revoked, "the city leaves");
            Assert.Equal(StandingKind.Replaced, roster.StandingOf(F1.Id)!.Kind);
            Assert.False(roster.IsMember(F1.Id));
        }
    }

    // --- 4. join requests that count for nothing -------------------------------------------

    public enum BadJoinRequest
    {
        ForgedAgreementSignature,
        AgreementForAnotherMesh,
        CardByAnotherKeyThanTheSigner,
    }

    [Theory]
    [InlineData(BadJoinRequest.ForgedAgreementSignature)]
    [InlineData(BadJoinRequest.AgreementForAnotherMesh)]
    [InlineData(BadJoinRequest.CardByAnotherKeyThanTheSigner)]
    public void Compute_EndorsementOfBadJoinRequest_CountsForNothing(BadJoinRequest bad)
    {
        // Arrange: F1 endorses A's good request; F2 endorses a bad one, which would be the second endorsement.
        var a = _mesh.Applicant("City A");
        var good = _mesh.JoinRequest(a);
        var request = _mesh.JoinRequest(a);
        var impostor = _mesh.Applicant("Impostor");
        switch (bad)
        {
            case BadJoinRequest.ForgedAgreementSignature:
                var forged = request.Agreement.Signature.ToByteArray();
                forged[7] ^= 0x01;
                request.Agreement.Signature = ByteString.CopyFrom(forged);
                break;
            case BadJoinRequest.AgreementForAnotherMesh:
                request.Agreement = MembershipRules.SignAgreement(a.Identity, _mesh.Charter with { MeshId = RandomNumberGenerator.GetBytes(32) }, _mesh.Time.GetUtcNow());
                break;
            case BadJoinRequest.CardByAnotherKeyThanTheSigner:
                request.Card = _mesh.CardRecordOf(impostor).ToWire();
                break;
        }
        Assert.Throws<CharterException>(() => MembershipRules.CheckJoinRequest(request, _mesh.Charter, _mesh.Validator));
        var goodEndorsement = _mesh.Endorse(F1, good);
        var badEndorsement = _mesh.Endorse(F2, request);

        // Act
        var roster = _mesh.Compute(goodEndorsement, badEndorsement);
        var control = _mesh.Compute(goodEndorsement, badEndorsement, _mesh.Endorse(F3, good));

        // Assert
        AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
        Assert.Null(roster.StandingOf(impostor.Id));
        AssertStanding(control, a, StandingKind.Member);
    }

    // --- product bugs found by these tests (see the report) ----------------------------------

    [Fact]
    public void Compute_MemberEndorsesBeforeAndAfterRotatingItsKey_CountsAsOneEndorser()
    {
        // Arrange: one member, under its old key (within the rotation's mark) and then its new key, endorses A; nobody else does.
        var a = _mesh.Applicant("City A");
        var next = _mesh.NewAuthor("Founder 1, new key");
        var byOldKey = _mesh.Endorse(F1, a);
        var records = new[] { byOldKey, _mesh.Rotate(F1, next, marks: MembershipFixture.MeshMark(byOldKey.Seq)), _mesh.Endorse(next, a) };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert: k = 2 distinct members are needed, one member rotating its key is still one.
            AssertStanding(roster, next, StandingKind.Member);
            AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
        }
    }

    [Fact]
    public void Compute_MemberRevokesBeforeAndAfterRotatingItsKey_CountsAsOneRevoker()
    {
        // Arrange
        var next = _mesh.NewAuthor("Founder 1, new key");
        var records = new[] { _mesh.Revoke(F1, F3.Id), _mesh.Rotate(F1, next), _mesh.Revoke(next, F3.Id) };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert
            AssertStanding(roster, F3, StandingKind.Member, "1 of 2 revocations");
        }
    }

    [Fact]
    public void Compute_OldKeyEndorsesAfterRotating_DoesNotCount()
    {
        // Arrange: F1 rotates with its head (seq 1, its card) as mark, then still signs an endorsement (seq 3) with the old key.
        var a = _mesh.Applicant("City A");
        var next = _mesh.NewAuthor("Founder 1, new key");
        var rotation = _mesh.Rotate(F1, next, marks: MembershipFixture.MeshMark(1));
        var late = _mesh.Endorse(F1, a);
        Assert.Equal(3UL, late.Seq);
        var records = new[] { rotation, late, _mesh.Endorse(F2, a) };

        foreach (var order in Orders(records))
        {
            // Act
            var roster = _mesh.Compute(order);

            // Assert: the mesh refuses that record (MayAuthor), so it cannot admit anybody either.
            Assert.False(roster.MayAuthor(F1.Id, Channels.Mesh, late.Seq));
            AssertStanding(roster, a, StandingKind.Applicant, "1 of 2");
        }
    }
}
