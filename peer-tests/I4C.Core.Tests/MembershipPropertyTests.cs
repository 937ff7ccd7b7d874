using CsCheck;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;

namespace I4C.Core.Tests;

/// <summary>
/// <see cref="MembershipRules.Compute"/> over random small meshes: the roster does not
/// depend on the order or the repetition of records, and it keeps the invariants of the
/// membership rules.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MembershipPropertyTests
{
    private const int Iterations = 250;

    /// <summary>
    /// A random mesh, as indices into its participants: 0 … Founders-1 are the founders,
    /// then the applicants, then (when there is a rotation) the rotation's new key. A mark
    /// of 0 is none; otherwise it is the seq on the subject's mesh channel up to which the
    /// revocation (or rotation) says its records stay valid.
    /// </summary>
    internal sealed record Scenario(
        int Founders,
        int K,
        int RevocationThreshold,
        uint[] Endorsers,
        (int Author, int Subject, int Mark)[] Revocations,
        int? RotationOf,
        int RotationMark,
        int Seed)
    {
        public int Applicants => Endorsers.Length;

        public int Participants => Founders + Applicants + (RotationOf is null ? 0 : 1);

        public int? NewKey => RotationOf is null ? null : Founders + Applicants;

        /// <summary>Who endorses applicant <paramref name="i"/> (0-based among applicants); may include itself.</summary>
        public IEnumerable<int> EndorsersOf(int i) => Enumerable.Range(0, Participants).Where(p => (Endorsers[i] & (1u << p)) != 0);

        public override string ToString() =>
            $"founders {Founders}, k {K}, revocation threshold {RevocationThreshold}; " +
            $"endorsements {string.Join(" ", Enumerable.Range(0, Applicants).Select(i => $"{Founders + i}<-[{string.Join(",", EndorsersOf(i))}]"))}; " +
            $"revocations {string.Join(" ", Revocations.Select(r => $"{r.Author}->{r.Subject}@{r.Mark}"))}; " +
            $"rotation {(RotationOf is { } old ? $"{old}->{NewKey}@{RotationMark}" : "none")}; seed {Seed}";
    }

    private static readonly Gen<Scenario> GenScenario =
        from founders in Gen.Int[3, 5]
        from k in Gen.Int[1, founders]
        from revocationThreshold in Gen.Int[1, founders]
        from applicants in Gen.Int[0, 4]
        from rotates in Gen.Bool
        from rotatedKey in Gen.Int[0, founders + applicants - 1]
        let rotation = rotates ? rotatedKey : -1
        let participants = founders + applicants + (rotates ? 1 : 0)
        from endorsers in Gen.UInt[0, (1u << participants) - 1].Array[applicants]
        from revocations in Gen.Select(Gen.Int[0, participants - 1], Gen.Int[0, participants - 1], Gen.Int[0, 4]).Array[0, 2]
        from rotationMark in Gen.Int[0, 4]
        from seed in Gen.Int
        select new Scenario(founders, k, revocationThreshold, endorsers, revocations, rotation < 0 ? null : rotation, rotationMark, seed);

    private static ChainMark[] Marks(int mark) => mark == 0 ? [] : [MembershipFixture.MeshMark((ulong)mark)];

    /// <summary>A scenario's mesh and records, built as the node builds them.</summary>
    private sealed class Built : IDisposable
    {
        public Built(Scenario scenario)
        {
            Scenario = scenario;
            Mesh = new MembershipFixture(scenario.Founders, (uint)scenario.K, (uint)scenario.RevocationThreshold);
            Participants = [.. Mesh.Founders];
            for (var i = 0; i < scenario.Applicants; i++)
            {
                Participants.Add(Mesh.Applicant($"Applicant {i + 1}"));
            }
            if (scenario.NewKey is not null)
            {
                Participants.Add(Mesh.NewAuthor("Rotated key"));
            }
            // The rotation first, so the new key has its card (seq 1) before it endorses or revokes.
            if (scenario.RotationOf is { } old)
            {
                Records.Add(Mesh.Rotate(Participants[old], Participants[scenario.NewKey!.Value], marks: Marks(scenario.RotationMark)));
            }
            for (var i = 0; i < scenario.Applicants; i++)
            {
                var request = Mesh.JoinRequest(Participants[scenario.Founders + i]);
                foreach (var endorser in scenario.EndorsersOf(i))
                {
                    var endorsement = Mesh.Endorse(Participants[endorser], request);
                    Records.Add(endorsement);
                    Endorsements.Add((endorser, scenario.Founders + i, endorsement));
                }
            }
            for (var r = 0; r < scenario.Revocations.Length; r++)
            {
                var (author, subject, mark) = scenario.Revocations[r];
                Records.Add(Mesh.Revoke(Participants[author], Participants[subject].Id, $"revocation {r}", Marks(mark)));
            }
        }

        public Scenario Scenario { get; }

        public MembershipFixture Mesh { get; }

        public List<TestAuthor> Participants { get; }

        public List<ValidatedRecord> Records { get; } = [];

        public List<(int Endorser, int Applicant, ValidatedRecord Record)> Endorsements { get; } = [];

        public int IndexOf(NodeId id) => Participants.FindIndex(p => p.Id.Equals(id));

        public void Dispose() => Mesh.Dispose();
    }

    private static ValidatedRecord[] Shuffled(IEnumerable<ValidatedRecord> records, Random random)
    {
        var array = records.ToArray();
        random.Shuffle(array);
        return array;
    }

    private static string Describe(Roster roster, Built built) => string.Join("; ", roster.Standings
        .OrderBy(s => built.IndexOf(s.Id))
        .Select(s => $"{built.IndexOf(s.Id)}: {s.Kind} ({s.Reason})"));

    /// <summary>
    /// Two rosters are the same: same members, and every key has the same standing, card and
    /// endorsement count. (The reason text may differ: which revocation's reason is shown is
    /// documented to depend on the order the records were read.)
    /// </summary>
    private static void AssertSameRoster(Roster expected, Roster actual, Built built)
    {
        var because = $"\nexpected: {Describe(expected, built)}\nactual:   {Describe(actual, built)}";
        Assert.True(expected.Members.Select(m => m.Id).ToHashSet().SetEquals(actual.Members.Select(m => m.Id)), $"different members{because}");
        Assert.True(expected.Standings.Count == actual.Standings.Count, $"different keys known{because}");
        foreach (var standing in expected.Standings)
        {
            var other = actual.StandingOf(standing.Id);
            Assert.True(other is not null, $"key {built.IndexOf(standing.Id)} unknown{because}");
            Assert.True(standing.Kind == other.Kind, $"key {built.IndexOf(standing.Id)}: {standing.Kind} vs {other.Kind}{because}");
            Assert.True(standing.Founder == other.Founder && standing.Endorsements == other.Endorsements,
                $"key {built.IndexOf(standing.Id)}: founder/endorsements differ{because}");
            Assert.True(standing.Card.Equals(other.Card), $"key {built.IndexOf(standing.Id)}: the card in force differs{because}");
        }
    }

    [Fact]
    public void Compute_AnyPermutationOfTheRecords_GivesTheSameRoster()
    {
        GenScenario.Sample(scenario =>
        {
            // Arrange
            using var built = new Built(scenario);
            var random = new Random(scenario.Seed);
            var reference = built.Mesh.Compute(built.Records);

            for (var i = 0; i < 3; i++)
            {
                // Act
                var roster = built.Mesh.Compute(Shuffled(built.Records, random));

                // Assert
                AssertSameRoster(reference, roster, built);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Compute_DuplicatedRecords_ChangeNothing()
    {
        GenScenario.Sample(scenario =>
        {
            // Arrange: each record repeated 0-2 more times, as the same object or as another node's copy.
            using var built = new Built(scenario);
            var random = new Random(scenario.Seed);
            var reference = built.Mesh.Compute(built.Records);
            var withDuplicates = new List<ValidatedRecord>(built.Records);
            foreach (var record in built.Records)
            {
                for (var n = random.Next(3); n > 0; n--)
                {
                    withDuplicates.Add(random.Next(2) == 0 ? record : built.Mesh.Copy(record));
                }
            }

            // Act
            var roster = built.Mesh.Compute(Shuffled(withDuplicates, random));

            // Assert
            AssertSameRoster(reference, roster, built);
        }, iter: Iterations);
    }

    [Fact]
    public void Compute_AnyScenario_KeepsTheMembershipInvariants()
    {
        GenScenario.Sample(scenario =>
        {
            // Arrange
            using var built = new Built(scenario);
            var s = scenario;
            var founders = Enumerable.Range(0, s.Founders).ToHashSet();
            var applicants = Enumerable.Range(s.Founders, s.Applicants).ToHashSet();
            // One member is one voter whatever key it uses: the new key of the rotation votes as its old key.
            int Voter(int p) => p == s.NewKey ? s.RotationOf!.Value : p;
            var endorsers = applicants.ToDictionary(a => a, a => s.EndorsersOf(a - s.Founders).ToHashSet());
            var revokers = Enumerable.Range(0, s.Participants).ToDictionary(p => p, p => s.Revocations.Where(r => r.Subject == p).Select(r => r.Author).ToHashSet());

            // The keys ever admitted: the rules' first fixpoint, counting distinct voters.
            var ever = new HashSet<int>(founders);
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var a in applicants.Where(a => !ever.Contains(a) &&
                    endorsers[a].Where(e => ever.Contains(e) && Voter(e) != Voter(a)).Select(Voter).Distinct().Count() >= s.K).ToList())
                {
                    changed |= ever.Add(a);
                }
                if (s.RotationOf is { } old && ever.Contains(old))
                {
                    changed |= ever.Add(s.NewKey!.Value);
                }
            }
            // The keys certainly revoked: by themselves, or by the threshold of distinct voters ever admitted.
            var revoked = ever.Where(p => revokers[p].Contains(p) ||
                revokers[p].Where(r => ever.Contains(r) && Voter(r) != Voter(p)).Select(Voter).Distinct().Count() >= s.RevocationThreshold).ToHashSet();

            // Act
            var roster = built.Mesh.Compute(built.Records);

            // Assert
            var members = roster.Members.Select(m => built.IndexOf(m.Id)).ToHashSet();
            var because = $"\n{Describe(roster, built)}";
            Assert.DoesNotContain(-1, members);
            Assert.True(members.IsSubsetOf(ever), $"a member was never admitted{because}");
            Assert.True(!members.Overlaps(revoked), $"a revoked key is a member{because}");
            foreach (var standing in roster.Standings.Where(st => revoked.Contains(built.IndexOf(st.Id))))
            {
                Assert.True(standing.Kind == StandingKind.Revoked, $"key {built.IndexOf(standing.Id)} is revoked by the rules but {standing.Kind}{because}");
            }
            if (s.RotationOf is { } rotated && ever.Contains(rotated) && !revoked.Contains(rotated) && !revoked.Contains(s.NewKey!.Value))
            {
                Assert.True(!members.Contains(rotated), $"key {rotated} rotated away and is still a member{because}");
                var kind = roster.StandingOf(built.Participants[rotated].Id)!.Kind;
                Assert.True(kind == StandingKind.Replaced, $"key {rotated} rotated away and is {kind}, not replaced{because}");
            }
            foreach (var m in members.Where(m => !founders.Contains(m) && m != s.NewKey))
            {
                // Admitted by k distinct members (a member's old and new key are one), counting only
                // endorsement records the mesh still accepts from their author: any of a current
                // member, and those within the marks of a revoked or replaced key.
                var counted = built.Endorsements
                    .Where(e => e.Applicant == m && Voter(e.Endorser) != Voter(m) && roster.MayAuthor(e.Record.Author, e.Record.Channel, e.Record.Seq))
                    .Select(e => Voter(e.Endorser)).Distinct().Count();
                Assert.True(counted >= s.K, $"member {m} has {counted} endorsements that count, k is {s.K}{because}");
            }
            foreach (var m in members)
            {
                Assert.True(roster.MayAuthor(built.Participants[m].Id, Channels.Mesh, 1_000_000));
            }
        }, iter: Iterations);
    }
}
