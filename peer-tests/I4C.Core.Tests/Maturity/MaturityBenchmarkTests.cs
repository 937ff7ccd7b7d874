using I4C.Core.Maturity;
using I4C.Core.Tests.Support;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class MaturityBenchmarkTests
{
    private const string Viewer = "viewer-city";

    private static readonly Assessment Mine = MaturityTestData.Uniform(2, 3);

    private static PeerAssessment Peer(string city, Assessment assessment, int hoursLater = 0, string recordId = "r") =>
        new(city, TestClock.Start.AddHours(hoursLater), recordId + city, assessment);

    private static IEnumerable<PeerAssessment> Peers(int count, int current = 3, int target = 4, CityProfile? profile = null, string prefix = "city") =>
        Enumerable.Range(1, count).Select(i => Peer($"{prefix}-{i}", MaturityTestData.Uniform(current, target, profile)));

    [Fact]
    public void Compute_KOtherCitiesContribute_CellIsShown()
    {
        // Act
        var result = MaturityBenchmark.Compute(Viewer, Mine, Peers(5));

        // Assert
        Assert.False(result.Refused);
        Assert.Equal(5, result.PeerCities);
        Assert.All(result.Domains, row =>
        {
            Assert.True(row.Shown);
            Assert.Equal(CellSuppression.None, row.Suppression);
            Assert.Equal(5, row.Peers!.Contributors);
            Assert.Equal(new QuartileSummary(3, 3, 3), row.Peers.Current);
            Assert.Equal(new QuartileSummary(4, 4, 4), row.Peers.Target);
            Assert.Equal((2, 3), (row.ViewerCurrent, row.ViewerTarget));
        });
    }

    [Fact]
    public void Compute_KMinusOneOtherCities_CellIsSuppressed()
    {
        var result = MaturityBenchmark.Compute(Viewer, Mine, Peers(4));

        Assert.All(result.Domains, row =>
        {
            Assert.False(row.Shown);
            Assert.Null(row.Peers);
            Assert.Equal(CellSuppression.FewerThanK, row.Suppression);
            Assert.Equal((2, 3), (row.ViewerCurrent, row.ViewerTarget));
        });
    }

    [Fact]
    public void Compute_ViewersOwnRecordsAmongPeers_NeverCount()
    {
        // Arrange: four other cities plus two of the viewer's own assessments.
        var peers = Peers(4).Append(Peer(Viewer, Mine)).Append(Peer(Viewer, Mine, hoursLater: 5));

        // Act
        var result = MaturityBenchmark.Compute(Viewer, Mine, peers);

        // Assert
        Assert.Equal(4, result.PeerCities);
        Assert.All(result.Domains, row => Assert.Equal(CellSuppression.FewerThanK, row.Suppression));
    }

    [Fact]
    public void Compute_CustomK_AppliesTheThreshold()
    {
        var options = new BenchmarkOptions { MinContributors = 3 };

        Assert.True(MaturityBenchmark.Compute(Viewer, Mine, Peers(3), options: options).Domains.All(r => r.Shown));
        Assert.True(MaturityBenchmark.Compute(Viewer, Mine, Peers(2), options: options).Domains.All(r => !r.Shown));
    }

    [Fact]
    public void Compute_KBelowThree_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MaturityBenchmark.Compute(Viewer, Mine, Peers(5), options: new BenchmarkOptions { MinContributors = 2 }));
    }

    [Fact]
    public void Compute_SeveralAssessmentsOfOneCity_OnlyTheLatestCounts()
    {
        // Arrange: city-1 first answered 0/0, later 5/5; everyone else 3/4. An equal-time tie goes to the larger record id.
        var peers = Peers(5).ToList();
        peers.Add(Peer("city-1", MaturityTestData.Uniform(0, 0), hoursLater: -10));
        peers.Add(Peer("city-1", MaturityTestData.Uniform(5, 5), hoursLater: 10, recordId: "a"));
        peers.Add(Peer("city-1", MaturityTestData.Uniform(1, 1), hoursLater: 10, recordId: "b"));

        // Act
        var row = MaturityBenchmark.Compute(Viewer, Mine, peers)["gov"];

        // Assert: values 1, 3, 3, 3, 3.
        Assert.Equal(5, row.Peers!.Contributors);
        Assert.Equal(new QuartileSummary(3, 3, 3), row.Peers.Current);
        Assert.Equal(20, row.Peers.PercentAtTarget); // only city-1 is at its target (1 ≥ 1); the others are not (3 < 4)
        Assert.Equal(0, MaturityBenchmark.Compute(Viewer, Mine, peers).IgnoredCities);
    }

    [Fact]
    public void Compute_SpreadOfLevels_QuartilesAreInterpolatedAndRoundedToOneDecimal()
    {
        // Arrange: gov levels 0..5 (six cities): type-7 quartiles 1.25 → 1.3, median 2.5, 3.75 → 3.8.
        var peers = Enumerable.Range(0, 6).Select(level => Peer($"city-{level}", MaturityTestData.Uniform(3, 3).WithDomain("gov", level, 5)));

        // Act
        var stats = MaturityBenchmark.Compute(Viewer, Mine, peers)["gov"].Peers!;

        // Assert
        Assert.Equal(new QuartileSummary(1.3, 2.5, 3.8), stats.Current);
        Assert.Equal(new QuartileSummary(5, 5, 5), stats.Target);
        Assert.Equal(17, stats.PercentAtTarget); // one in six is at target: 16.67 → 17
    }

    [Fact]
    public void StatisticTypes_HaveNoMinimumOrMaximum()
    {
        // The extremes belong to single cities; the output types must not be able to carry them.
        Assert.Equal(["LowerQuartile", "Median", "UpperQuartile"], typeof(QuartileSummary).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["Contributors", "Current", "PercentAtTarget", "Target"], typeof(PeerStatistics).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var type in new[] { typeof(DomainBenchmark), typeof(QuartileSummary), typeof(PeerStatistics) })
        {
            Assert.DoesNotContain(type.GetProperties(), p => p.Name.Contains("Min", StringComparison.Ordinal) || p.Name.Contains("Max", StringComparison.Ordinal)
                || p.Name.Contains("Lowest", StringComparison.Ordinal) || p.Name.Contains("Highest", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Compute_DomainAllNotApplicableForSomePeers_TheyDoNotContribute()
    {
        // Arrange: 6 peers, two of them have rep all N/A.
        var peers = Peers(4).Concat(Enumerable.Range(1, 2).Select(i => Peer($"na-{i}", MaturityTestData.Uniform(3, 4).WithDomainNotApplicable("rep"))));

        // Act
        var result = MaturityBenchmark.Compute(Viewer, Mine, peers);

        // Assert
        Assert.Equal(CellSuppression.FewerThanK, result["rep"].Suppression);
        Assert.Equal(6, result["gov"].Peers!.Contributors);
    }

    [Fact]
    public void Compute_PeerWithOtherFrameworkVersionOrInvalid_IsIgnored()
    {
        var peers = Peers(5)
            .Append(Peer("future", MaturityTestData.Uniform(5, 5) with { FrameworkVersion = "nis2-maturity/2" }))
            .Append(Peer("broken", MaturityTestData.Uniform(5, 5).Without("gov.1")));

        var result = MaturityBenchmark.Compute(Viewer, Mine, peers);

        Assert.Equal(5, result.PeerCities);
        Assert.Equal(2, result.IgnoredCities);
        Assert.Equal(new QuartileSummary(3, 3, 3), result["gov"].Peers!.Current);
    }

    [Fact]
    public void Compute_CohortOfFewerThanK_IsRefused()
    {
        // Arrange: 6 German cities, 4 Austrian ones.
        var peers = Peers(6, profile: MaturityTestData.Profile(country: "DE"), prefix: "de")
            .Concat(Peers(4, profile: MaturityTestData.Profile(country: "AT"), prefix: "at"));
        Assert.True(CohortFilter.TryParse("country=AT", out var filter, out _));

        // Act
        var result = MaturityBenchmark.Compute(Viewer, Mine, peers, filter);

        // Assert
        Assert.True(result.Refused);
        Assert.Equal(RefusalReason.CohortTooSmall, result.Refusal!.Reason);
        Assert.Contains("fewer than 5", result.Refusal.Message, StringComparison.Ordinal);
        Assert.Empty(result.Domains);
        Assert.Null(result.CohortCities);
    }

    [Fact]
    public void Compute_CohortWhoseComplementIsFewerThanK_IsRefused()
    {
        // Arrange: 6 German cities and 1 Austrian one: "country=DE" minus "all" would expose the Austrian city.
        var peers = Peers(6, profile: MaturityTestData.Profile(country: "DE"), prefix: "de")
            .Concat(Peers(1, profile: MaturityTestData.Profile(country: "AT"), prefix: "at"));

        var result = MaturityBenchmark.Compute(Viewer, Mine, peers, new CohortFilter(Country: "DE"));

        Assert.True(result.Refused);
        Assert.Equal(RefusalReason.ComplementTooSmall, result.Refusal!.Reason);
        Assert.Contains("all peers", result.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_CohortAndComplementBothAtLeastK_IsShown()
    {
        var peers = Peers(5, current: 1, profile: MaturityTestData.Profile(country: "DE"), prefix: "de")
            .Concat(Peers(5, current: 4, profile: MaturityTestData.Profile(country: "AT"), prefix: "at"));

        var result = MaturityBenchmark.Compute(Viewer, Mine, peers, new CohortFilter(Country: "DE"));

        Assert.False(result.Refused);
        Assert.Equal((10, 5), (result.PeerCities, result.CohortCities));
        Assert.Equal(new QuartileSummary(1, 1, 1), result["gov"].Peers!.Current);
    }

    [Fact]
    public void Compute_CohortThatLeavesNobodyOut_IsAllowed()
    {
        var peers = Peers(5, profile: MaturityTestData.Profile(country: "DE"));

        var result = MaturityBenchmark.Compute(Viewer, Mine, peers, new CohortFilter(Country: "DE"));

        Assert.False(result.Refused);
        Assert.True(result["gov"].Shown);
    }

    [Fact]
    public void Compute_TwoKeyCohortDifferingFromAOneKeyCohortByFewerThanK_IsRefused()
    {
        // Arrange: DE small ×5, DE large ×5, AT large ×5, AT small ×1.
        // "country=DE,population=<50k" (5) is fine against "all" (16 − 5) and "country=DE" (10 − 5),
        // but "population=<50k" holds 6: the one Austrian small city would be exposed.
        var small = MaturityTestData.Profile(country: "DE", population: PopulationBand.Under50K);
        var peers = Peers(5, profile: small, prefix: "de-small")
            .Concat(Peers(5, profile: small with { Population = PopulationBand.Over1M }, prefix: "de-large"))
            .Concat(Peers(5, profile: small with { Country = "AT", Population = PopulationBand.Over1M }, prefix: "at-large"));
        var filter = new CohortFilter(Country: "DE", Population: PopulationBand.Under50K);
        Assert.False(MaturityBenchmark.Compute(Viewer, Mine, peers, filter).Refused);

        // Act
        var withOneMore = peers.Append(Peer("at-small-1", MaturityTestData.Uniform(3, 4, small with { Country = "AT" })));
        var result = MaturityBenchmark.Compute(Viewer, Mine, withOneMore, filter);

        // Assert
        Assert.True(result.Refused);
        Assert.Equal(RefusalReason.ComplementTooSmall, result.Refusal!.Reason);
        Assert.Contains("population=<50k", result.Refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_DomainCellWhoseComplementContributorsAreFewerThanK_IsSuppressed()
    {
        // Arrange: 5 DE + 5 AT pass the cohort check, but 3 AT cities answered rep as all N/A:
        // rep has 5 DE and 2 AT contributors, so "all" − "DE" in rep would expose 2 cities.
        var de = Peers(5, profile: MaturityTestData.Profile(country: "DE"), prefix: "de");
        var at = Enumerable.Range(1, 5).Select(i => Peer($"at-{i}",
            i <= 3 ? MaturityTestData.Uniform(3, 4, MaturityTestData.Profile(country: "AT")).WithDomainNotApplicable("rep")
                   : MaturityTestData.Uniform(3, 4, MaturityTestData.Profile(country: "AT"))));

        // Act
        var result = MaturityBenchmark.Compute(Viewer, Mine, de.Concat(at), new CohortFilter(Country: "DE"));

        // Assert
        Assert.False(result.Refused);
        Assert.Equal(CellSuppression.ComplementFewerThanK, result["rep"].Suppression);
        Assert.Null(result["rep"].Peers);
        Assert.True(result["gov"].Shown);
    }
}
