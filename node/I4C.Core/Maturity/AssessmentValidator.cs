using System.Globalization;

namespace I4C.Core.Maturity;

/// <summary>The outcome of validating an assessment: errors (which make it unusable) and warnings.</summary>
public sealed record AssessmentValidation(IReadOnlyList<AssessmentProblem> Problems)
{
    public bool IsValid => Problems.All(p => !p.IsError);

    public IEnumerable<AssessmentProblem> Errors => Problems.Where(p => p.IsError);

    public IEnumerable<AssessmentProblem> Warnings => Problems.Where(p => !p.IsError);

    /// <summary>Throws <see cref="InvalidAssessmentException"/> when there is any error.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new InvalidAssessmentException(Problems);
        }
    }
}

/// <summary>
/// Checks an assessment against the framework it names. Rules:
/// <list type="bullet">
/// <item>The framework version must be one this node ships; otherwise that is the only problem reported.</item>
/// <item>The profile's country is ISO 3166-1 alpha-2; the other profile values are defined enum members.</item>
/// <item>Every answer names a known practice, at most once.</item>
/// <item>Every practice is answered: either a current and a target level, each 0–5, or N/A with a reason.
///   Practices with no answer at all are reported together in one <see cref="AssessmentProblemKind.MissingAnswers"/> problem.</item>
/// <item>N/A excludes levels; evidence is optional; evidence is at most <see cref="MaxEvidenceLength"/> characters and a reason
///   at most <see cref="MaxReasonLength"/>.</item>
/// <item>A target below the current level is <b>allowed</b> and reported as a warning: a city may deliberately accept a lower
///   level (e.g. a service is being retired), and refusing it would push people to falsify one of the two numbers.
///   Scoring treats such a practice as at target.</item>
/// </list>
/// </summary>
public static class AssessmentValidator
{
    public const int MaxEvidenceLength = 2000;
    public const int MaxReasonLength = 500;

    public static AssessmentValidation Validate(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        if (!MaturityFramework.TryGet(assessment.FrameworkVersion, out var framework))
        {
            return new AssessmentValidation([UnknownVersion(assessment.FrameworkVersion)]);
        }
        return Validate(assessment, framework);
    }

    internal static AssessmentProblem UnknownVersion(string? version) =>
        AssessmentProblem.Error(
            AssessmentProblemKind.UnknownFrameworkVersion,
            $"framework version '{version}' is unknown to this node (known: {string.Join(", ", MaturityFramework.KnownVersions)}); start from 'i4c assess template'",
            field: "framework");

    internal static AssessmentValidation Validate(Assessment assessment, MaturityFramework framework)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(framework);
        var problems = new List<AssessmentProblem>();
        if (assessment.FrameworkVersion != framework.Version)
        {
            problems.Add(UnknownVersion(assessment.FrameworkVersion));
            return new AssessmentValidation(problems);
        }

        if (assessment.Profile is null)
        {
            problems.Add(AssessmentProblem.Error(AssessmentProblemKind.InvalidProfile, "the assessment has no profile", field: "profile"));
        }
        else if (assessment.Profile.Problem() is { } profileProblem)
        {
            var field = CityProfile.IsCountryCode(assessment.Profile.Country) ? "profile" : "profile.country";
            problems.Add(AssessmentProblem.Error(AssessmentProblemKind.InvalidProfile, profileProblem, field: field));
        }

        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var answer in assessment.Answers ?? [])
        {
            if (answer is null)
            {
                continue;
            }
            var id = answer.PracticeId;
            if (framework.FindPractice(id ?? string.Empty) is null)
            {
                problems.Add(AssessmentProblem.Error(
                    AssessmentProblemKind.UnknownPractice,
                    $"practice '{id}' is not in {framework.Version}; practice ids look like 'b-incident.1' (see 'i4c assess template')",
                    id,
                    "id"));
                continue;
            }
            if (!answered.Add(id!))
            {
                problems.Add(AssessmentProblem.Error(AssessmentProblemKind.DuplicatePractice, $"practice '{id}' is answered more than once; keep one answer", id, "id"));
                continue;
            }
            CheckAnswer(answer, problems);
        }

        var missing = framework.Practices
            .Where(p => !answered.Contains(p.Id) || IsEmpty(assessment.AnswerFor(p.Id)!))
            .Select(p => p.Id)
            .ToArray();
        if (missing.Length > 0)
        {
            problems.Add(MissingAnswers(missing));
        }
        return new AssessmentValidation(problems);
    }

    internal static AssessmentProblem MissingAnswers(IReadOnlyList<string> missing) =>
        new(
            AssessmentProblemKind.MissingAnswers,
            ProblemSeverity.Error,
            $"{missing.Count} practice(s) have no answer: {string.Join(", ", missing)}; give each a current and a target level (0–5), or mark it N/A with a reason")
        {
            PracticeIds = missing,
        };

    private static bool IsEmpty(PracticeAnswer answer) => answer.Current is null && answer.Target is null && !answer.NotApplicable;

    private static void CheckAnswer(PracticeAnswer answer, List<AssessmentProblem> problems)
    {
        var id = answer.PracticeId;
        if (answer.NotApplicable)
        {
            if (string.IsNullOrWhiteSpace(answer.NotApplicableReason))
            {
                problems.Add(AssessmentProblem.Error(
                    AssessmentProblemKind.NotApplicableWithoutReason,
                    $"practice '{id}' is marked N/A without a reason; say why it does not apply to the city",
                    id,
                    "notApplicableReason"));
            }
            else if (answer.NotApplicableReason.Length > MaxReasonLength)
            {
                problems.Add(TooLong(id, "notApplicableReason", "N/A reason", answer.NotApplicableReason.Length, MaxReasonLength));
            }
            if (answer.Current is not null || answer.Target is not null)
            {
                problems.Add(AssessmentProblem.Error(
                    AssessmentProblemKind.NotApplicableWithLevels,
                    $"practice '{id}' is marked N/A but also has a {(answer.Current is not null ? "current" : "target")} level; remove the levels or the N/A",
                    id,
                    answer.Current is not null ? "current" : "target"));
            }
        }
        else if (IsEmpty(answer))
        {
            return; // reported with all other unanswered practices
        }
        else
        {
            CheckLevel(id, "current", answer.Current, problems);
            CheckLevel(id, "target", answer.Target, problems);
            if (answer.Current is { } c && answer.Target is { } t && InRange(c) && InRange(t) && t < c)
            {
                problems.Add(AssessmentProblem.Warning(
                    AssessmentProblemKind.TargetBelowCurrent,
                    $"practice '{id}' has target {t} below current {c}; this is allowed (it counts as at target), but check it is meant",
                    id,
                    "target"));
            }
        }
        if (answer.Evidence is { Length: > MaxEvidenceLength })
        {
            problems.Add(TooLong(id, "evidence", "evidence note", answer.Evidence.Length, MaxEvidenceLength));
        }
    }

    private static void CheckLevel(string id, string field, int? level, List<AssessmentProblem> problems)
    {
        if (level is null)
        {
            problems.Add(AssessmentProblem.Error(
                field == "current" ? AssessmentProblemKind.MissingCurrent : AssessmentProblemKind.MissingTarget,
                $"practice '{id}' has no {field} level; give a whole number 0–5 (or mark the practice N/A with a reason)",
                id,
                field));
        }
        else if (!InRange(level.Value))
        {
            problems.Add(AssessmentProblem.Error(
                AssessmentProblemKind.LevelOutOfRange,
                $"practice '{id}' has {field} level {level.Value.ToString(CultureInfo.InvariantCulture)}; levels run from {MaturityFramework.MinLevel} to {MaturityFramework.MaxLevel}",
                id,
                field));
        }
    }

    internal static bool InRange(int level) => level is >= MaturityFramework.MinLevel and <= MaturityFramework.MaxLevel;

    private static AssessmentProblem TooLong(string id, string field, string what, int length, int max) =>
        AssessmentProblem.Error(AssessmentProblemKind.TextTooLong, $"practice '{id}' has a {what} of {length} characters; the limit is {max}", id, field);
}
