namespace I4C.Core.Maturity;

/// <summary>A peer's assessment as the node holds it: the author city (node id text), the record's creation time and id, and the decoded payload.</summary>
public sealed record PeerAssessment(string City, DateTimeOffset CreatedAt, string RecordId, Assessment Assessment);

/// <summary>Benchmark settings.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>The smallest value <see cref="MinContributors"/> may take.</summary>
    public const int MinimumK = 3;

    /// <summary>k: a cell is shown only when at least this many other cities contribute to it. Default 5; at least <see cref="MinimumK"/>.</summary>
    public int MinContributors { get; init; } = 5;

    public static BenchmarkOptions Default { get; } = new();
}

/// <summary>
/// Lower quartile, median and upper quartile of the peers' domain levels. Quartiles are computed by linear interpolation
/// between order statistics (Hyndman–Fan type 7, the default of R, NumPy and spreadsheet QUARTILE.INC) and rounded to one
/// decimal, midpoint away from zero. There is deliberately no minimum or maximum: the extremes belong to single cities.
/// </summary>
public sealed record QuartileSummary(double LowerQuartile, double Median, double UpperQuartile);

/// <summary>
/// What the peers of a cohort look like in one domain. <see cref="PercentAtTarget"/> is the share of contributing peers whose
/// domain level is at or above their own domain target, in whole percent (midpoint away from zero).
/// </summary>
public sealed record PeerStatistics(int Contributors, QuartileSummary Current, QuartileSummary Target, int PercentAtTarget);

/// <summary>Why a domain cell is not shown.</summary>
public enum CellSuppression
{
    /// <summary>The cell is shown.</summary>
    None,
    /// <summary>Fewer than k other cities have a level in this domain within the cohort.</summary>
    FewerThanK,
    /// <summary>
    /// Between 1 and k−1 cities with a level in this domain are in a larger cohort (one with fewer filter keys, or all peers)
    /// but not in this one, so comparing the two cells would expose them.
    /// </summary>
    ComplementFewerThanK,
}

/// <summary>One row of the benchmark: the viewer's own domain levels, and the peers' statistics when the cell may be shown.</summary>
public sealed record DomainBenchmark(
    string Code,
    string Title,
    string Article,
    int? ViewerCurrent,
    int? ViewerTarget,
    PeerStatistics? Peers,
    CellSuppression Suppression)
{
    public bool Shown => Peers is not null;
}

public enum RefusalReason
{
    /// <summary>The cohort holds fewer than k other cities.</summary>
    CohortTooSmall,
    /// <summary>The cities outside the cohort, within a larger cohort, are fewer than k (but not zero).</summary>
    ComplementTooSmall,
}

/// <summary>Why a cohort filter was refused, with a message for the user.</summary>
public sealed record BenchmarkRefusal(RefusalReason Reason, string Message);

/// <summary>
/// A benchmark: either <see cref="Refusal"/> is set (the cohort filter was refused, <see cref="Domains"/> is empty), or one
/// row per framework domain. <see cref="PeerCities"/> counts other cities with a usable latest assessment (the unfiltered
/// population); <see cref="CohortCities"/> those of them the filter keeps (null when refused). <see cref="IgnoredCities"/>
/// counts cities whose latest assessment answers another framework version or does not validate.
/// </summary>
public sealed record BenchmarkResult(
    string FrameworkVersion,
    CohortFilter Cohort,
    int MinContributors,
    int PeerCities,
    int? CohortCities,
    int IgnoredCities,
    BenchmarkRefusal? Refusal,
    IReadOnlyList<DomainBenchmark> Domains)
{
    public bool Refused => Refusal is not null;

    public DomainBenchmark this[string code] =>
        Domains.FirstOrDefault(d => d.Code == code) ?? throw new KeyNotFoundException($"no domain '{code}' in this benchmark");
}

/// <summary>
/// Compares the viewer's assessment with its peers'. Pure: the caller hands in the assessments it holds.
/// <list type="number">
/// <item>Peers: for each city other than the viewer, its latest assessment (latest creation time; ties broken by the larger
///   record id). The viewer never counts, even if its own records are among the peers. A latest assessment of another
///   framework version, or one that does not validate, leaves that city out (it is not replaced by an older one).</item>
/// <item>Per city and domain the value is the domain level (<see cref="MaturityScoring"/>); cities with no level in a domain
///   (all N/A) do not contribute to it.</item>
/// <item>A cell is shown only when at least k other cities contribute, and, for a filtered cohort, when for every larger cohort
///   (every strict subset of the filter's keys, including no filter) the cities that contribute there but not here are
///   either none or at least k (complementary suppression).</item>
/// <item>A cohort filter is refused when it keeps fewer than k cities, or when some larger cohort (including all peers) holds
///   between 1 and k−1 cities the filter leaves out: publishing both would let those cities' answers be recovered by
///   subtraction. A filter that leaves out nobody is allowed: its view equals the larger one and reveals nothing new.</item>
/// </list>
/// </summary>
public static class MaturityBenchmark
{
    public static BenchmarkResult Compute(
        string viewerCity,
        Assessment viewer,
        IEnumerable<PeerAssessment> peers,
        CohortFilter? cohort = null,
        BenchmarkOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(viewerCity);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(peers);
        cohort ??= CohortFilter.All;
        options ??= BenchmarkOptions.Default;
        var k = options.MinContributors;
        if (k < BenchmarkOptions.MinimumK)
        {
            throw new ArgumentOutOfRangeException(nameof(options), k, $"k (MinContributors) must be at least {BenchmarkOptions.MinimumK}");
        }

        var viewerScore = MaturityScoring.Score(viewer);
        var framework = MaturityFramework.For(viewer);

        var latest = peers
            .Where(p => p is not null && !string.Equals(p.City, viewerCity, StringComparison.Ordinal))
            .GroupBy(p => p.City, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.RecordId, StringComparer.Ordinal).First())
            .ToArray();
        var population = new List<(CityProfile Profile, AssessmentScore Score)>();
        var ignored = 0;
        foreach (var peer in latest)
        {
            if (peer.Assessment is null
                || peer.Assessment.FrameworkVersion != framework.Version
                || !AssessmentValidator.Validate(peer.Assessment, framework).IsValid)
            {
                ignored++;
                continue;
            }
            population.Add((peer.Assessment.Profile, MaturityScoring.ScoreValid(peer.Assessment, framework)));
        }

        var larger = cohort.ProperSubsets().ToArray();
        int CountIn(CohortFilter f) => population.Count(p => f.Matches(p.Profile));

        if (!cohort.IsAll)
        {
            var refusal = Refuse(cohort, larger, CountIn, k);
            if (refusal is not null)
            {
                return new BenchmarkResult(framework.Version, cohort, k, population.Count, null, ignored, refusal, []);
            }
        }

        var rows = framework.Domains.Select(domain =>
        {
            var mine = viewerScore[domain.Code];
            int ContributorsIn(CohortFilter f) => population.Count(p => f.Matches(p.Profile) && p.Score[domain.Code].HasLevel);

            var scores = population.Where(p => cohort.Matches(p.Profile)).Select(p => p.Score[domain.Code]).Where(s => s.HasLevel).ToArray();
            var suppression = CellSuppression.None;
            if (scores.Length < k)
            {
                suppression = CellSuppression.FewerThanK;
            }
            else if (larger.Any(f => ContributorsIn(f) - scores.Length is var left && left > 0 && left < k))
            {
                suppression = CellSuppression.ComplementFewerThanK;
            }
            PeerStatistics? stats = suppression != CellSuppression.None
                ? null
                : new PeerStatistics(
                    scores.Length,
                    Quartiles(scores.Select(s => s.Current!.Value)),
                    Quartiles(scores.Select(s => s.Target!.Value)),
                    (int)Math.Round(100.0 * scores.Count(s => s.AtTarget) / scores.Length, MidpointRounding.AwayFromZero));
            return new DomainBenchmark(domain.Code, domain.Title, domain.Article, mine.Current, mine.Target, stats, suppression);
        }).ToArray();

        return new BenchmarkResult(framework.Version, cohort, k, population.Count, CountIn(cohort), ignored, null, rows);
    }

    private static BenchmarkRefusal? Refuse(CohortFilter cohort, CohortFilter[] larger, Func<CohortFilter, int> countIn, int k)
    {
        var inCohort = countIn(cohort);
        if (inCohort < k)
        {
            return new BenchmarkRefusal(
                RefusalReason.CohortTooSmall,
                $"the cohort '{cohort}' holds fewer than {k} other cities, so its figures could expose individual cities; widen the filter (drop a key) or use no filter");
        }
        foreach (var outer in larger)
        {
            var left = countIn(outer) - inCohort;
            if (left > 0 && left < k)
            {
                var where = outer.IsAll ? "all peers" : $"the cohort '{outer}'";
                return new BenchmarkRefusal(
                    RefusalReason.ComplementTooSmall,
                    $"the cohort '{cohort}' leaves out fewer than {k} of {where}; comparing the two would expose the cities left out; widen or drop the filter");
            }
        }
        return null;
    }

    /// <summary>Type-7 quartiles of the values, rounded to one decimal.</summary>
    internal static QuartileSummary Quartiles(IEnumerable<int> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }
        return new QuartileSummary(Quantile(sorted, 0.25), Quantile(sorted, 0.5), Quantile(sorted, 0.75));

        static double Quantile(int[] sorted, double p)
        {
            var h = (sorted.Length - 1) * p;
            var lower = (int)Math.Floor(h);
            var upper = Math.Min(lower + 1, sorted.Length - 1);
            var value = sorted[lower] + ((h - lower) * (sorted[upper] - sorted[lower]));
            return MaturityScoring.Round1(value);
        }
    }
}
