using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class MaturityScoringTests
{
    [Fact]
    public void Score_MixedLevels_DomainLevelIsTheMinimumAndMeanIsShownBeside()
    {
        // Arrange: b-incident has 5 practices rated 3, 4, 2, 5, 3 with targets 4, 4, 3, 5, 4.
        var assessment = MaturityTestData.Uniform(3, 3).With(
            PracticeAnswer.Rated("b-incident.1", 3, 4),
            PracticeAnswer.Rated("b-incident.2", 4, 4),
            PracticeAnswer.Rated("b-incident.3", 2, 3),
            PracticeAnswer.Rated("b-incident.4", 5, 5),
            PracticeAnswer.Rated("b-incident.5", 3, 4));

        // Act
        var domain = MaturityScoring.Score(assessment)["b-incident"];

        // Assert
        Assert.Equal(2, domain.Current);
        Assert.Equal(3.4, domain.CurrentMean);
        Assert.Equal(3, domain.Target);
        Assert.Equal(4.0, domain.TargetMean);
        Assert.Equal(5, domain.Applicable);
        Assert.Equal(0, domain.NotApplicable);
        Assert.False(domain.AtTarget);
    }

    [Fact]
    public void Score_MeanWithRepeatingDecimal_IsRoundedToOneDecimal()
    {
        // Arrange: i-hr has 4 practices: 2, 3, 3, 3 → mean 2.75 → 2.8 (midpoint away from zero).
        var assessment = MaturityTestData.Uniform(3, 3).With(PracticeAnswer.Rated("i-hr.1", 2, 3));

        // Act
        var domain = MaturityScoring.Score(assessment)["i-hr"];

        // Assert
        Assert.Equal(2, domain.Current);
        Assert.Equal(2.8, domain.CurrentMean);
    }

    [Fact]
    public void Score_NotApplicablePractice_IsLeftOutOfLevelAndMean()
    {
        // Arrange: the lowest practice is N/A, so it must not pull the level down.
        var assessment = MaturityTestData.Uniform(4, 5).With(
            PracticeAnswer.NotApplicableBecause("h-crypto.3", "no mobile devices"),
            PracticeAnswer.Rated("h-crypto.1", 3, 5));

        // Act
        var domain = MaturityScoring.Score(assessment)["h-crypto"];

        // Assert
        Assert.Equal(3, domain.Current);
        Assert.Equal(3.8, domain.CurrentMean); // (3 + 4 + 4 + 4) / 4 = 3.75
        Assert.Equal(4, domain.Applicable);
        Assert.Equal(1, domain.NotApplicable);
    }

    [Fact]
    public void Score_AllPracticesNotApplicable_DomainHasNoLevel()
    {
        // Arrange
        var assessment = MaturityTestData.Uniform(2, 3).WithDomainNotApplicable("e-acquisition");

        // Act
        var domain = MaturityScoring.Score(assessment)["e-acquisition"];

        // Assert
        Assert.False(domain.HasLevel);
        Assert.Null(domain.Current);
        Assert.Null(domain.CurrentMean);
        Assert.Null(domain.Target);
        Assert.Null(domain.TargetMean);
        Assert.False(domain.AtTarget);
        Assert.Equal(0, domain.Applicable);
    }

    [Fact]
    public void Score_TargetBelowCurrent_CountsAsAtTarget()
    {
        var assessment = MaturityTestData.Uniform(3, 3).WithDomain("rep", 4, 2);

        var domain = MaturityScoring.Score(assessment)["rep"];

        Assert.True(domain.AtTarget);
    }

    [Fact]
    public void Score_EveryDomain_OneScorePerDomainInFrameworkOrder()
    {
        var score = MaturityScoring.Score(MaturityTestData.Uniform(1, 2));

        Assert.Equal(MaturityFramework.Current.Domains.Select(d => d.Code), score.Domains.Select(d => d.Code));
        Assert.All(score.Domains, d => Assert.Equal((1, 2), (d.Current, d.Target)));
    }

    [Fact]
    public void Score_InvalidAssessment_ThrowsInvalidAssessmentException()
    {
        var assessment = MaturityTestData.Uniform(3, 3).Without("gov.1");

        var e = Assert.Throws<InvalidAssessmentException>(() => MaturityScoring.Score(assessment));

        Assert.Contains(e.Problems, p => p.Kind == AssessmentProblemKind.MissingAnswers);
    }
}
