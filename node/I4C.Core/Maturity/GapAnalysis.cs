namespace I4C.Core.Maturity;

/// <summary>A PRACTICE record the node holds, reduced to what the gap list needs. <see cref="Domains"/> are the record's domain tags.</summary>
public sealed record SharedPractice(string RecordId, string Title, IReadOnlyList<string> Domains, DateTimeOffset CreatedAt, int Endorsements);

/// <summary>
/// A domain where the viewer is below its own target or below the peers' median current level (when that cell is shown),
/// the practices of the domain that are below their target, and the shared practice records tagged with the domain.
/// </summary>
public sealed record DomainGap(
    string Code,
    string Title,
    int Current,
    int Target,
    double? PeerMedian,
    bool BelowTarget,
    bool BelowPeerMedian,
    IReadOnlyList<string> PracticesBelowTarget,
    IReadOnlyList<SharedPractice> SharedPractices);

/// <summary>
/// Links each gap to what peers shared: the toolbox grows from the mesh itself. Pure.
/// Shared practices per domain are ordered newest first (creation time descending), then most endorsed first, then by record
/// id (ordinal) so the order is the same on every node; at most <c>maxPerDomain</c> are listed. A record counts for a
/// domain when one of its tags equals the domain code, ignoring case and surrounding blanks.
/// </summary>
public static class GapAnalysis
{
    public const int DefaultMaxPerDomain = 10;

    /// <summary>
    /// The gaps in framework order. <paramref name="benchmark"/> may be null (or refused, or have suppressed cells): then only
    /// the viewer's own targets decide. Domains without a level (all N/A) have no gap.
    /// </summary>
    public static IReadOnlyList<DomainGap> Compute(
        Assessment viewer,
        BenchmarkResult? benchmark,
        IEnumerable<SharedPractice> practices,
        int maxPerDomain = DefaultMaxPerDomain)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(practices);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPerDomain);
        var score = MaturityScoring.Score(viewer);
        var framework = MaturityFramework.For(viewer);
        if (benchmark is not null && benchmark.FrameworkVersion != framework.Version)
        {
            throw new ArgumentException($"the benchmark is for {benchmark.FrameworkVersion}, the assessment for {framework.Version}", nameof(benchmark));
        }
        var shared = practices.Where(p => p is not null).DistinctBy(p => p.RecordId, StringComparer.Ordinal).ToArray();

        var gaps = new List<DomainGap>();
        foreach (var domain in framework.Domains)
        {
            var mine = score[domain.Code];
            if (mine is not { Current: { } current, Target: { } target })
            {
                continue;
            }
            var median = benchmark is { Refused: false } ? benchmark[domain.Code].Peers?.Current.Median : null;
            var belowTarget = current < target;
            var belowMedian = median is { } m && current < m;
            if (!belowTarget && !belowMedian)
            {
                continue;
            }
            var practicesBelow = domain.Practices
                .Select(p => viewer.AnswerFor(p.Id)!)
                .Where(a => !a.NotApplicable && a.Current < a.Target)
                .Select(a => a.PracticeId)
                .ToArray();
            var tagged = shared
                .Where(p => (p.Domains ?? []).Any(tag => string.Equals(tag?.Trim(), domain.Code, StringComparison.OrdinalIgnoreCase)))
                .OrderByDescending(p => p.CreatedAt)
                .ThenByDescending(p => p.Endorsements)
                .ThenBy(p => p.RecordId, StringComparer.Ordinal)
                .Take(maxPerDomain)
                .ToArray();
            gaps.Add(new DomainGap(domain.Code, domain.Title, current, target, median, belowTarget, belowMedian, practicesBelow, tagged));
        }
        return gaps;
    }
}
