using System.Text.Json;
using I4C.Core.Identity;
using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class AnswersFileTests
{
    private static readonly MaturityFramework Framework = MaturityFramework.Current;

    [Fact]
    public void Template_OfCurrent_ListsEveryPracticeWithTextAndEmptyAnswers()
    {
        // Act
        using var doc = JsonDocument.Parse(AnswersFile.Template(Framework));

        // Assert
        var root = doc.RootElement;
        Assert.Equal("i4c-assessment-answers/1", root.GetProperty("format").GetString());
        Assert.Equal("nis2-maturity/1", root.GetProperty("framework").GetString());
        var practices = root.GetProperty("domains").EnumerateArray().SelectMany(d => d.GetProperty("practices").EnumerateArray()).ToArray();
        Assert.Equal(Framework.Practices.Select(p => p.Id), practices.Select(p => p.GetProperty("id").GetString()));
        Assert.Equal(Framework.Practices.Select(p => p.Text), practices.Select(p => p.GetProperty("text").GetString()));
        Assert.All(practices, p =>
        {
            Assert.Equal(JsonValueKind.Null, p.GetProperty("current").ValueKind);
            Assert.Equal(JsonValueKind.Null, p.GetProperty("target").ValueKind);
            Assert.False(p.GetProperty("notApplicable").GetBoolean());
        });
        Assert.Equal(6, root.GetProperty("scale").GetArrayLength());
    }

    [Fact]
    public void Template_OfCurrent_ListsTheAllowedProfileValues()
    {
        using var doc = JsonDocument.Parse(AnswersFile.Template(Framework));

        var allowed = doc.RootElement.GetProperty("profile").GetProperty("allowed");
        string[] Values(string name) => allowed.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["essential", "important", "national-choice", "voluntary"], Values("nis2Status"));
        Assert.Equal(["eu-city", "non-eu-city", "other"], Values("category"));
        Assert.Equal(["<50k", "50k-200k", "200k-1M", ">1M"], Values("population"));
        Assert.Equal(["<10", "10-50", "50-200", ">200"], Values("itStaff"));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("profile").GetProperty("country").ValueKind);
    }

    [Fact]
    public void Template_Unfilled_ParsesToMissingProfileAndOneMissingAnswersList()
    {
        // Act
        var result = AnswersFile.Parse(AnswersFile.Template(Framework));

        // Assert
        Assert.Null(result.Assessment);
        Assert.Equal(5, result.Errors.Count(p => p.Kind == AssessmentProblemKind.InvalidProfile));
        var missing = Assert.Single(result.Errors, p => p.Kind == AssessmentProblemKind.MissingAnswers);
        Assert.Equal(Framework.Practices.Select(p => p.Id), missing.PracticeIds);
        Assert.Equal(6, result.Errors.Count());
    }

    [Fact]
    public void Render_FilledAssessment_ParsesBackToTheSameAssessment()
    {
        // Arrange
        var profile = new CityProfile(Nis2Status.NationalChoice, "AT", MemberCategory.EuCity, PopulationBand.Over1M, ItStaffBand.Over200);
        var original = MaturityTestData.Uniform(2, 4, profile).With(
            PracticeAnswer.Rated("gov.1", 3, 3, "Council decision 2025/17 – approved \"Sicherheitsleitlinie\" (ü)"),
            PracticeAnswer.NotApplicableBecause("j-mfa.4", "No internal video conferencing"),
            PracticeAnswer.Rated("rep.3", 5, 1));

        // Act
        var text = AnswersFile.Render(Framework, original);
        var result = AnswersFile.Parse(text);

        // Assert
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.True(original.SameAs(result.Assessment));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(AssessmentProblemKind.TargetBelowCurrent, warning.Kind);
        Assert.NotNull(warning.Position);
    }

    [Fact]
    public void Render_AnyAssessment_IsLfTerminatedTwoSpaceJson()
    {
        var text = AnswersFile.Template(Framework);

        Assert.DoesNotContain('\r', text);
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.StartsWith("{\n  \"format\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SyntaxError_ReportsLineAndColumn()
    {
        // Arrange: line 3 lacks a comma after "nis2-maturity/1".
        var text = "{\n  \"format\": \"i4c-assessment-answers/1\",\n  \"framework\": \"nis2-maturity/1\"\n  \"profile\": {}\n}";

        // Act
        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        // Assert
        Assert.Equal(AssessmentProblemKind.Malformed, problem.Kind);
        Assert.Equal(new TextPosition(4, 3), problem.Position);
        Assert.StartsWith("line 4, column 3: MALFORMED: not valid JSON", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LevelOfWrongType_ReportsPracticeFieldAndPosition()
    {
        // Arrange
        var text = Filled().Replace("\"id\": \"b-incident.2\",", "\"id\": \"b-incident.2\", \"current\": \"3\",", StringComparison.Ordinal);
        text = RemoveSecondCurrent(text, "b-incident.2");

        // Act
        var result = AnswersFile.Parse(text);

        // Assert
        var problem = Assert.Single(result.Problems);
        Assert.Equal(AssessmentProblemKind.Malformed, problem.Kind);
        Assert.Equal(("b-incident.2", "current"), (problem.PracticeId, problem.Field));
        Assert.Equal(PositionOf(text, "\"3\""), problem.Position);
    }

    [Fact]
    public void Parse_LevelOutOfRange_ReportsPracticeAndPositionOfTheValue()
    {
        var text = SetValue(Filled(), "h-crypto.2", "target", "9");

        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        Assert.Equal(AssessmentProblemKind.LevelOutOfRange, problem.Kind);
        Assert.Equal(("h-crypto.2", "target"), (problem.PracticeId, problem.Field));
        Assert.Equal(PositionOf(text, "\"target\": 9", "\"target\": ".Length), problem.Position);
    }

    [Fact]
    public void Parse_UnknownPracticeId_ReportsItWhereItStands()
    {
        var text = Filled().Replace("\"id\": \"share.5\"", "\"id\": \"share.6\"", StringComparison.Ordinal);

        var result = AnswersFile.Parse(text);

        var unknown = Assert.Single(result.Errors, p => p.Kind == AssessmentProblemKind.UnknownPractice);
        Assert.Equal("share.6", unknown.PracticeId);
        Assert.Equal(PositionOf(text, "\"share.6\""), unknown.Position);
        var missing = Assert.Single(result.Errors, p => p.Kind == AssessmentProblemKind.MissingAnswers);
        Assert.Equal(["share.5"], missing.PracticeIds);
    }

    [Fact]
    public void Parse_NotApplicableWithoutReason_ReportsPracticeAndPosition()
    {
        var text = SetValue(SetValue(SetValue(Filled(), "i-assets.4", "notApplicable", "true"), "i-assets.4", "current", "null"), "i-assets.4", "target", "null");

        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        Assert.Equal(AssessmentProblemKind.NotApplicableWithoutReason, problem.Kind);
        Assert.Equal("i-assets.4", problem.PracticeId);
        Assert.NotNull(problem.Position);
    }

    [Fact]
    public void Parse_DuplicatePractice_ReportsTheSecondOccurrence()
    {
        var text = Filled().Replace("\"id\": \"gov.2\"", "\"id\": \"gov.1\"", StringComparison.Ordinal);

        var result = AnswersFile.Parse(text);

        var duplicate = Assert.Single(result.Errors, p => p.Kind == AssessmentProblemKind.DuplicatePractice);
        Assert.Equal("gov.1", duplicate.PracticeId);
        Assert.Equal(PositionOf(text, "\"gov.1\"", 0, occurrence: 2), duplicate.Position);
    }

    [Fact]
    public void Parse_MisspelledKey_IsRefusedWithTheKnownKeys()
    {
        var text = Filled().Replace("\"id\": \"a-risk.1\",", "\"id\": \"a-risk.1\", \"curent\": 2,", StringComparison.Ordinal);

        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        Assert.Equal(AssessmentProblemKind.Malformed, problem.Kind);
        Assert.Contains("unknown property 'curent'", problem.Message, StringComparison.Ordinal);
        Assert.Equal(PositionOf(text, "\"curent\""), problem.Position);
    }

    [Fact]
    public void Parse_UnknownFrameworkVersion_ReportsItAtTheValue()
    {
        var text = Filled().Replace("\"framework\": \"nis2-maturity/1\"", "\"framework\": \"nis2-maturity/7\"", StringComparison.Ordinal);

        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        Assert.Equal(AssessmentProblemKind.UnknownFrameworkVersion, problem.Kind);
        Assert.Equal(PositionOf(text, "\"nis2-maturity/7\""), problem.Position);
    }

    [Theory]
    [InlineData("population", "\"huge\"", "<50k, 50k-200k, 200k-1M, >1M")]
    [InlineData("nis2Status", "\"critical\"", "essential, important, national-choice, voluntary")]
    [InlineData("country", "\"Germany\"", "alpha-2")]
    public void Parse_ProfileValueNotAllowed_ListsTheAllowedValues(string field, string value, string expected)
    {
        var text = SetProfile(Filled(), field, value);

        var problem = Assert.Single(AnswersFile.Parse(text).Problems);

        Assert.Equal(AssessmentProblemKind.InvalidProfile, problem.Kind);
        Assert.Contains(expected, problem.Message, StringComparison.Ordinal);
        Assert.Equal(PositionOf(text, value), problem.Position);
    }

    [Fact]
    public void Parse_CommentsTrailingCommasBomAndLowerCaseCountry_AreAccepted()
    {
        var text = Filled()
            .Replace("\"framework\": \"nis2-maturity/1\",", "\"framework\": \"nis2-maturity/1\", // our 2025 round", StringComparison.Ordinal)
            .Replace("\"country\": \"DE\",", "\"country\": \"de\",", StringComparison.Ordinal);
        Assert.EndsWith("}\n  ]\n}\n", text, StringComparison.Ordinal);
        text = text[..^"\n  ]\n}\n".Length] + ",\n  ]\n}\n"; // a trailing comma after the last domain
        var bytes = System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(text)).ToArray();

        var result = AnswersFile.Parse(bytes);

        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal("DE", result.Assessment!.Profile.Country);
    }

    [Fact]
    public void Parse_NotAnObject_IsMalformed()
    {
        var problem = Assert.Single(AnswersFile.Parse("[1, 2]").Problems);

        Assert.Equal(AssessmentProblemKind.Malformed, problem.Kind);
        Assert.Equal(new TextPosition(1, 1), problem.Position);
    }

    // A complete, valid answers file.
    private static string Filled() => AnswersFile.Render(Framework, MaturityTestData.Uniform(2, 3));

    // Replaces the value of one property of one practice (the rendered file puts each property on its own line).
    private static string SetValue(string text, string practiceId, string property, string value)
    {
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.Contains($"\"id\": \"{practiceId}\"", StringComparison.Ordinal));
        var at = Array.FindIndex(lines, start, l => l.TrimStart().StartsWith($"\"{property}\":", StringComparison.Ordinal));
        var indent = lines[at][..(lines[at].Length - lines[at].TrimStart().Length)];
        var comma = lines[at].TrimEnd().EndsWith(',') ? "," : string.Empty;
        lines[at] = $"{indent}\"{property}\": {value}{comma}";
        return string.Join('\n', lines);
    }

    private static string RemoveSecondCurrent(string text, string practiceId)
    {
        var lines = text.Split('\n').ToList();
        var start = lines.FindIndex(l => l.Contains($"\"id\": \"{practiceId}\"", StringComparison.Ordinal));
        var at = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith("\"current\":", StringComparison.Ordinal));
        lines.RemoveAt(at);
        return string.Join('\n', lines);
    }

    private static string SetProfile(string text, string field, string value)
    {
        var lines = text.Split('\n');
        var at = Array.FindIndex(lines, l => l.TrimStart().StartsWith($"\"{field}\":", StringComparison.Ordinal));
        var indent = lines[at][..(lines[at].Length - lines[at].TrimStart().Length)];
        lines[at] = $"{indent}\"{field}\": {value},";
        return string.Join('\n', lines);
    }

    // 1-based line and column of the n-th occurrence of a snippet (plus an offset into it).
    private static TextPosition PositionOf(string text, string snippet, int offsetInSnippet = 0, int occurrence = 1)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++)
        {
            index = text.IndexOf(snippet, index + 1, StringComparison.Ordinal);
        }
        Assert.True(index >= 0, $"'{snippet}' not found");
        index += offsetInSnippet;
        var before = text[..index];
        var line = before.Count(c => c == '\n') + 1;
        var column = index - (before.LastIndexOf('\n') + 1) + 1;
        return new TextPosition(line, column);
    }
}
