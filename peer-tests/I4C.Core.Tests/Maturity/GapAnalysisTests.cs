using I4C.Core.Maturity;
using I4C.Core.Tests.Support;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class GapAnalysisTests
{
    private static SharedPractice Shared(string id, int day, int endorsements, params string[] domains) =>
        new(id, "Practice " + id, domains, TestClock.Start.AddDays(day), endorsements);

    private static BenchmarkResult BenchmarkWithPeersAt(Assessment viewer, int current, int target) =>
        MaturityBenchmark.Compute("viewer", viewer, Enumerable.Range(1, 5).Select(i =>
            new PeerAssessment($"peer-{i}", TestClock.Start, $"r{i}", MaturityTestData.Uniform(current, target))));

    [Fact]
    public void Compute_DomainBelowTarget_ListsTaggedPracticesNewestFirstThenMostEndorsed()
    {
        // Arrange: only b-incident is below target.
        var viewer = MaturityTestData.Uniform(3, 3).With(PracticeAnswer.Rated("b-incident.2", 1, 3), PracticeAnswer.Rated("b-incident.4", 2, 4));
        SharedPractice[] shared =
        [
            Shared("old-popular", day: 1, endorsements: 40, "b-incident"),
            Shared("new-plain", day: 3, endorsements: 0, "b-incident"),
            Shared("new-endorsed", day: 3, endorsements: 5, " B-Incident ", "rep"),
            Shared("middle", day: 2, endorsements: 1, "b-incident"),
            Shared("other-domain", day: 9, endorsements: 99, "rep"),
            Shared("new-plain-twin", day: 3, endorsements: 0, "b-incident"),
        ];

        // Act
        var gaps = GapAnalysis.Compute(viewer, benchmark: null, shared);

        // Assert
        var gap = Assert.Single(gaps);
        Assert.Equal("b-incident", gap.Code);
        Assert.Equal((1, 3), (gap.Current, gap.Target));
        Assert.True(gap.BelowTarget);
        Assert.False(gap.BelowPeerMedian);
        Assert.Null(gap.PeerMedian);
        Assert.Equal(["b-incident.2", "b-incident.4"], gap.PracticesBelowTarget);
        Assert.Equal(["new-endorsed", "new-plain", "new-plain-twin", "middle", "old-popular"], gap.SharedPractices.Select(p => p.RecordId));
    }

    [Fact]
    public void Compute_AtTargetButBelowPeerMedian_IsAGap()
    {
        // Arrange: the viewer is at its own target 2 everywhere; peers sit at 3.
        var viewer = MaturityTestData.Uniform(2, 2);
        var benchmark = BenchmarkWithPeersAt(viewer, 3, 4);

        // Act
        var gaps = GapAnalysis.Compute(viewer, benchmark, [Shared("p", 0, 0, "share")]);

        // Assert
        Assert.Equal(MaturityFramework.Current.Domains.Count, gaps.Count);
        var share = Assert.Single(gaps, g => g.Code == "share");
        Assert.False(share.BelowTarget);
        Assert.True(share.BelowPeerMedian);
        Assert.Equal(3.0, share.PeerMedian);
        Assert.Empty(share.PracticesBelowTarget);
        Assert.Equal(["p"], share.SharedPractices.Select(p => p.RecordId));
    }

    [Fact]
    public void Compute_AtTargetAndAtOrAbovePeerMedian_HasNoGap()
    {
        var viewer = MaturityTestData.Uniform(3, 3);

        var gaps = GapAnalysis.Compute(viewer, BenchmarkWithPeersAt(viewer, 3, 4), []);

        Assert.Empty(gaps);
    }

    [Fact]
    public void Compute_DomainWithoutLevel_HasNoGap()
    {
        var viewer = MaturityTestData.Uniform(3, 3).WithDomainNotApplicable("h-crypto");

        var gaps = GapAnalysis.Compute(viewer, BenchmarkWithPeersAt(viewer, 5, 5), []);

        Assert.DoesNotContain(gaps, g => g.Code == "h-crypto");
        Assert.Equal(MaturityFramework.Current.Domains.Count - 1, gaps.Count);
    }

    [Fact]
    public void Compute_MorePracticesThanTheLimit_ListsOnlyTheFirst()
    {
        var viewer = MaturityTestData.Uniform(3, 3).WithDomain("gov", 1, 3);
        var shared = Enumerable.Range(0, 20).Select(i => Shared($"p{i:00}", i, 0, "gov"));

        var gap = Assert.Single(GapAnalysis.Compute(viewer, null, shared, maxPerDomain: 3));

        Assert.Equal(["p19", "p18", "p17"], gap.SharedPractices.Select(p => p.RecordId));
    }
}
