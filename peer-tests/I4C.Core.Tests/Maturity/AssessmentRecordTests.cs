using I4C.Core.Maturity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Maturity;

/// <summary>The ASSESSMENT record kind: what the validator accepts and refuses as its payload, and the charter's k.</summary>
public sealed class AssessmentRecordTests : IDisposable
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly TestAuthor _author;

    public AssessmentRecordTests()
    {
        _validator = new RecordValidator(RecordLimits.Default, _time);
        _author = new TestAuthor(_validator, _time);
    }

    public void Dispose() => _author.Dispose();

    private ValidationResult Validate(byte[] payload) =>
        _validator.Validate(_author.SignAt(new RecordDraft { Kind = RecordKind.Assessment, Tlp = Tlp.Amber, Payload = payload }, 1, default));

    [Fact]
    public void Validate_CanonicalAssessmentPayload_Accepted()
    {
        // Arrange
        var payload = AssessmentPayload.Encode(MaturityTestData.Uniform(2, 3));

        // Act
        var result = Validate(payload);

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    [Theory]
    [InlineData("not json at all", "assessment payload")]
    [InlineData("{\"framework\":\"nis2-maturity/1\"}", "no 'profile'")]
    [InlineData("[1,2,3]", "not a JSON object")]
    public void Validate_MalformedAssessmentPayload_RejectedMalformedWithReason(string json, string expected)
    {
        // Act
        var result = Validate(System.Text.Encoding.UTF8.GetBytes(json));

        // Assert
        Assert.False(result.IsValid);
        Assert.Equal(RejectReason.Malformed, result.Rejection!.Reason);
        Assert.Contains(expected, result.Rejection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AssessmentWithLevelOutOfRange_RejectedNamingThePractice()
    {
        // Arrange: a well-formed payload whose b-incident.2 claims level 9
        var json = System.Text.Encoding.UTF8.GetString(AssessmentPayload.Encode(MaturityTestData.Uniform(2, 3)))
            .Replace("{\"id\":\"b-incident.2\",\"current\":2", "{\"id\":\"b-incident.2\",\"current\":9", StringComparison.Ordinal);

        // Act
        var result = Validate(System.Text.Encoding.UTF8.GetBytes(json));

        // Assert
        Assert.Equal(RejectReason.Malformed, result.Rejection!.Reason);
        Assert.Contains("b-incident.2", result.Rejection.Detail, StringComparison.Ordinal);
        Assert.Contains("LEVEL_OUT_OF_RANGE", result.Rejection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AssessmentOfUnknownFrameworkVersion_AcceptedForANewerNode()
    {
        // Arrange
        var json = System.Text.Encoding.UTF8.GetString(AssessmentPayload.Encode(MaturityTestData.Uniform(2, 3)))
            .Replace(MaturityFramework.Nis2V1, "nis2-maturity/9", StringComparison.Ordinal);

        // Act
        var result = Validate(System.Text.Encoding.UTF8.GetBytes(json));

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
    }

    [Fact]
    public void AssessmentTitle_ValidPayload_NamesFrameworkCountryAndStatus()
    {
        // Act
        var title = PayloadCodec.AssessmentTitle(AssessmentPayload.Encode(MaturityTestData.Uniform(1, 2)));

        // Assert
        Assert.Equal("NIS2 self-assessment (nis2-maturity/1, DE, important)", title);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void CharterCreate_BenchmarkKBelowThree_Refused(uint k)
    {
        // Act
        var ex = Assert.Throws<CharterException>(() => CharterRules.Create(_author.Identity, "t", new byte[32], "a.pdf", 1, 1,
            [_author.Write(new RecordDraft { Kind = RecordKind.MemberCard, Tlp = Tlp.Clear, Payload = [] }).ToWire()], _time.GetUtcNow(), k));

        // Assert
        Assert.Contains("benchmark", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 5)]
    [InlineData(3u, 3)]
    [InlineData(12u, 12)]
    public void BenchmarkMinContributors_CharterField_ZeroMeansFive(uint field, int expected)
    {
        // Act
        var k = CharterRules.BenchmarkMinContributors(new Charter { BenchmarkMinContributors = field });

        // Assert
        Assert.Equal(expected, k);
    }
}
