using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class AssessmentValidatorTests
{
    [Fact]
    public void Validate_CompleteAssessment_IsValidWithoutProblems()
    {
        var validation = AssessmentValidator.Validate(MaturityTestData.Uniform(2, 3));

        Assert.True(validation.IsValid);
        Assert.Empty(validation.Problems);
    }

    [Fact]
    public void Validate_UnknownFrameworkVersion_IsTheOnlyProblem()
    {
        var assessment = MaturityTestData.Uniform(2, 3) with { FrameworkVersion = "nis2-maturity/9" };

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Problems);

        Assert.Equal(AssessmentProblemKind.UnknownFrameworkVersion, problem.Kind);
        Assert.Equal("framework", problem.Field);
        Assert.Contains("'nis2-maturity/9'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownPracticeId_NamesThePractice()
    {
        var assessment = MaturityTestData.Uniform(2, 3);
        assessment = assessment with { Answers = [.. assessment.Answers, PracticeAnswer.Rated("b-incident.9", 1, 2)] };

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.UnknownPractice, problem.Kind);
        Assert.Equal("b-incident.9", problem.PracticeId);
        Assert.Contains("'b-incident.9'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicatePractice_NamesThePractice()
    {
        var assessment = MaturityTestData.Uniform(2, 3);
        assessment = assessment with { Answers = [.. assessment.Answers, PracticeAnswer.Rated("gov.2", 1, 2)] };

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.DuplicatePractice, problem.Kind);
        Assert.Equal("gov.2", problem.PracticeId);
    }

    [Theory]
    [InlineData(6, 3, "current")]
    [InlineData(-1, 3, "current")]
    [InlineData(2, 7, "target")]
    public void Validate_LevelOutOfRange_NamesPracticeAndField(int current, int target, string field)
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(PracticeAnswer.Rated("c-continuity.3", current, target));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.LevelOutOfRange, problem.Kind);
        Assert.Equal("c-continuity.3", problem.PracticeId);
        Assert.Equal(field, problem.Field);
        Assert.Contains("'c-continuity.3'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_NotApplicableWithoutReason_NamesThePractice(string? reason)
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(new PracticeAnswer("j-mfa.4", null, null, NotApplicable: true, NotApplicableReason: reason));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.NotApplicableWithoutReason, problem.Kind);
        Assert.Equal("j-mfa.4", problem.PracticeId);
        Assert.Equal("notApplicableReason", problem.Field);
    }

    [Fact]
    public void Validate_NotApplicableWithLevels_NamesThePractice()
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(new PracticeAnswer("j-mfa.4", 2, null, NotApplicable: true, NotApplicableReason: "none"));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.NotApplicableWithLevels, problem.Kind);
        Assert.Equal("j-mfa.4", problem.PracticeId);
        Assert.Equal("current", problem.Field);
    }

    [Fact]
    public void Validate_MissingPractices_ListsThemAllInFrameworkOrder()
    {
        var assessment = MaturityTestData.Uniform(2, 3)
            .Without("share.5", "gov.3")
            .With(new PracticeAnswer("rep.2", null, null));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.MissingAnswers, problem.Kind);
        Assert.Equal(["gov.3", "rep.2", "share.5"], problem.PracticeIds);
        Assert.Contains("gov.3, rep.2, share.5", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CurrentWithoutTarget_NamesPracticeAndField()
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(new PracticeAnswer("d-supply.2", 2, null));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.MissingTarget, problem.Kind);
        Assert.Equal(("d-supply.2", "target"), (problem.PracticeId, problem.Field));
    }

    [Fact]
    public void Validate_TargetWithoutCurrent_NamesPracticeAndField()
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(new PracticeAnswer("d-supply.2", null, 4));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.MissingCurrent, problem.Kind);
        Assert.Equal(("d-supply.2", "current"), (problem.PracticeId, problem.Field));
    }

    [Fact]
    public void Validate_TargetBelowCurrent_IsAllowedWithAWarning()
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(PracticeAnswer.Rated("f-effectiveness.1", 4, 2));

        var validation = AssessmentValidator.Validate(assessment);

        Assert.True(validation.IsValid);
        var warning = Assert.Single(validation.Warnings);
        Assert.Equal(AssessmentProblemKind.TargetBelowCurrent, warning.Kind);
        Assert.Equal("f-effectiveness.1", warning.PracticeId);
        Assert.StartsWith("warning: TARGET_BELOW_CURRENT", warning.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EvidenceTooLong_NamesPracticeAndField()
    {
        var assessment = MaturityTestData.Uniform(2, 3).With(PracticeAnswer.Rated("g-hygiene.1", 2, 3, new string('x', AssessmentValidator.MaxEvidenceLength + 1)));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.TextTooLong, problem.Kind);
        Assert.Equal(("g-hygiene.1", "evidence"), (problem.PracticeId, problem.Field));
    }

    [Theory]
    [InlineData("de")]
    [InlineData("DEU")]
    [InlineData("")]
    public void Validate_BadCountry_NamesProfileCountry(string country)
    {
        var assessment = MaturityTestData.Uniform(2, 3, MaturityTestData.Profile(country: country));

        var problem = Assert.Single(AssessmentValidator.Validate(assessment).Errors);

        Assert.Equal(AssessmentProblemKind.InvalidProfile, problem.Kind);
        Assert.Equal("profile.country", problem.Field);
    }

    [Fact]
    public void Code_OfProblemKind_IsScreamingSnakeCase()
    {
        var problem = new AssessmentProblem(AssessmentProblemKind.NotApplicableWithoutReason, ProblemSeverity.Error, "x");

        Assert.Equal("NOT_APPLICABLE_WITHOUT_REASON", problem.Code);
    }
}
