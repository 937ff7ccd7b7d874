namespace I4C.Core.Maturity;

/// <summary>What is wrong with an assessment or an answers file. Every problem names exactly one of these.</summary>
public enum AssessmentProblemKind
{
    /// <summary>The answers file is not valid JSON, a value has the wrong type, or a property is unknown (parser only).</summary>
    Malformed,
    /// <summary>The framework version is not one this node ships.</summary>
    UnknownFrameworkVersion,
    /// <summary>A profile value is missing or not one of the allowed values.</summary>
    InvalidProfile,
    /// <summary>An answer names a practice id the framework does not have.</summary>
    UnknownPractice,
    /// <summary>Two answers name the same practice.</summary>
    DuplicatePractice,
    /// <summary>Practices with no answer at all (neither a current level nor N/A); <see cref="AssessmentProblem.PracticeIds"/> lists them.</summary>
    MissingAnswers,
    /// <summary>A target is given but no current level.</summary>
    MissingCurrent,
    /// <summary>A current level is given but no target.</summary>
    MissingTarget,
    /// <summary>A current or target level outside 0–5.</summary>
    LevelOutOfRange,
    /// <summary>A practice marked N/A without a reason.</summary>
    NotApplicableWithoutReason,
    /// <summary>A practice marked N/A that also carries a current or target level.</summary>
    NotApplicableWithLevels,
    /// <summary>An evidence note or N/A reason longer than allowed.</summary>
    TextTooLong,
    /// <summary>A warning: the target is below the current level (allowed, see <see cref="AssessmentValidator"/>).</summary>
    TargetBelowCurrent,
}

public enum ProblemSeverity
{
    Error,
    Warning,
}

/// <summary>A place in a text file: 1-based line and 1-based column (in characters).</summary>
public readonly record struct TextPosition(long Line, long Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

/// <summary>
/// One problem: its kind, severity and a sentence that names the item and says what to do.
/// <see cref="PracticeId"/> and <see cref="Field"/> name the answer and its property ("current", "target",
/// "evidence", "notApplicable", "notApplicableReason", "profile.country", "framework"); <see cref="Position"/> is set when
/// the problem comes from an answers file.
/// </summary>
public sealed record AssessmentProblem(AssessmentProblemKind Kind, ProblemSeverity Severity, string Message)
{
    public string? PracticeId { get; init; }

    public string? Field { get; init; }

    /// <summary>For <see cref="AssessmentProblemKind.MissingAnswers"/>: every practice without an answer, in framework order.</summary>
    public IReadOnlyList<string> PracticeIds { get; init; } = [];

    public TextPosition? Position { get; init; }

    public bool IsError => Severity == ProblemSeverity.Error;

    /// <summary>The kind in SCREAMING_SNAKE form, as the CLI shows it: UNKNOWN_PRACTICE.</summary>
    public string Code => string.Concat(Kind.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    public override string ToString() =>
        (Position is { } p ? p + ": " : string.Empty) + (IsError ? string.Empty : "warning: ") + Code + ": " + Message;

    internal static AssessmentProblem Error(AssessmentProblemKind kind, string message, string? practiceId = null, string? field = null) =>
        new(kind, ProblemSeverity.Error, message) { PracticeId = practiceId, Field = field };

    internal static AssessmentProblem Warning(AssessmentProblemKind kind, string message, string? practiceId = null, string? field = null) =>
        new(kind, ProblemSeverity.Warning, message) { PracticeId = practiceId, Field = field };
}

/// <summary>Thrown when an operation needs a valid assessment and was handed one with errors.</summary>
public sealed class InvalidAssessmentException : Exception
{
    public InvalidAssessmentException(IReadOnlyList<AssessmentProblem> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public InvalidAssessmentException(string message)
        : base(message)
    {
        Problems = [];
    }

    public InvalidAssessmentException()
        : this("the assessment is not valid")
    {
    }

    public InvalidAssessmentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [];
    }

    public IReadOnlyList<AssessmentProblem> Problems { get; }

    private static string Describe(IReadOnlyList<AssessmentProblem> problems)
    {
        var errors = problems.Where(p => p.IsError).ToArray();
        return $"the assessment has {errors.Length} error(s): " + string.Join("; ", errors.Take(5).Select(e => e.ToString()))
            + (errors.Length > 5 ? "; …" : string.Empty);
    }
}
