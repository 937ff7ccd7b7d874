namespace I4C.Core.Maturity;

/// <summary>
/// A domain's result. <see cref="Current"/> is the domain level: the highest L such that every applicable practice has
/// current ≥ L, i.e. the minimum over the applicable practices (C2M2's cumulative rule on the 0–5 scale).
/// <see cref="CurrentMean"/> is the mean of the applicable practices, rounded to one decimal (midpoint away from zero), shown
/// beside the level. <see cref="Target"/> and <see cref="TargetMean"/> are the same over the targets. A domain whose practices are
/// all N/A has no level and no mean (all four null).
/// </summary>
public sealed record DomainScore(string Code, int? Current, double? CurrentMean, int? Target, double? TargetMean, int Applicable, int NotApplicable)
{
    public bool HasLevel => Current is not null;

    /// <summary>True when the domain has a level and the domain's current level is at or above the domain's target level.</summary>
    public bool AtTarget => Current is { } c && Target is { } t && c >= t;
}

/// <summary>The scores of one assessment, one per framework domain in framework order.</summary>
public sealed record AssessmentScore(string FrameworkVersion, IReadOnlyList<DomainScore> Domains)
{
    public DomainScore this[string code] =>
        Domains.FirstOrDefault(d => d.Code == code) ?? throw new KeyNotFoundException($"no domain '{code}' in {FrameworkVersion}");
}

/// <summary>Turns a valid assessment into domain levels. Pure.</summary>
public static class MaturityScoring
{
    /// <summary>Scores an assessment; throws <see cref="InvalidAssessmentException"/> if it has validation errors.</summary>
    public static AssessmentScore Score(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var validation = AssessmentValidator.Validate(assessment);
        validation.ThrowIfInvalid();
        var framework = MaturityFramework.For(assessment);
        return ScoreValid(assessment, framework);
    }

    internal static AssessmentScore ScoreValid(Assessment assessment, MaturityFramework framework)
    {
        var byId = assessment.Answers.ToDictionary(a => a.PracticeId, StringComparer.Ordinal);
        var domains = framework.Domains.Select(domain =>
        {
            var answers = domain.Practices.Select(p => byId[p.Id]).ToArray();
            var applicable = answers.Where(a => !a.NotApplicable).ToArray();
            if (applicable.Length == 0)
            {
                return new DomainScore(domain.Code, null, null, null, null, 0, answers.Length);
            }
            var currents = applicable.Select(a => a.Current!.Value).ToArray();
            var targets = applicable.Select(a => a.Target!.Value).ToArray();
            return new DomainScore(
                domain.Code,
                currents.Min(),
                Round1(currents.Average()),
                targets.Min(),
                Round1(targets.Average()),
                applicable.Length,
                answers.Length - applicable.Length);
        }).ToArray();
        return new AssessmentScore(framework.Version, domains);
    }

    internal static double Round1(double value) => Math.Round(value, 1, MidpointRounding.AwayFromZero);
}
