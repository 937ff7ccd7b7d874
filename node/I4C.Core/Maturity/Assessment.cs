namespace I4C.Core.Maturity;

/// <summary>
/// A city's answer to one practice: current and target level (0–5) and an evidence note, or "not applicable" with a reason.
/// A not-applicable practice carries no levels and is left out of every level, mean and benchmark.
/// </summary>
public sealed record PracticeAnswer(
    string PracticeId,
    int? Current,
    int? Target,
    string? Evidence = null,
    bool NotApplicable = false,
    string? NotApplicableReason = null)
{
    /// <summary>An applicable answer.</summary>
    public static PracticeAnswer Rated(string practiceId, int current, int target, string? evidence = null) =>
        new(practiceId, current, target, evidence);

    /// <summary>A not-applicable answer.</summary>
    public static PracticeAnswer NotApplicableBecause(string practiceId, string reason) =>
        new(practiceId, null, null, null, true, reason);
}

/// <summary>
/// A NIS2 maturity self-assessment: which framework version it answers, the city's profile, and one answer per practice.
/// Check it with <see cref="AssessmentValidator"/>; score it with <see cref="MaturityScoring"/>; turn it into the
/// ASSESSMENT record payload with <see cref="AssessmentPayload"/>.
/// </summary>
public sealed record Assessment(string FrameworkVersion, CityProfile Profile, IReadOnlyList<PracticeAnswer> Answers)
{
    /// <summary>The answer for a practice id, or null.</summary>
    public PracticeAnswer? AnswerFor(string practiceId) => Answers.FirstOrDefault(a => a.PracticeId == practiceId);

    /// <summary>Value equality over the answers too (a record compares lists by reference).</summary>
    public bool SameAs(Assessment? other) =>
        other is not null
        && FrameworkVersion == other.FrameworkVersion
        && Profile == other.Profile
        && Answers.SequenceEqual(other.Answers);
}
