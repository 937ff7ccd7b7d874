using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class AssessmentPayloadTests
{
    private static Assessment Sample() => MaturityTestData.Uniform(2, 3).With(
        PracticeAnswer.Rated("gov.1", 4, 5, "Beschluss des Stadtrats – 12/2025"),
        PracticeAnswer.NotApplicableBecause("j-mfa.4", "no internal video"));

    [Fact]
    public void Decode_OfEncode_GivesTheSameAssessment()
    {
        var original = Sample();

        var decoded = AssessmentPayload.Decode(AssessmentPayload.Encode(original));

        Assert.True(original.SameAs(decoded));
        Assert.True(AssessmentValidator.Validate(decoded).IsValid);
    }

    [Fact]
    public void Encode_AnswersInAnyOrder_GivesTheSameCanonicalBytes()
    {
        var original = Sample();
        var shuffled = original with { Answers = original.Answers.Reverse().ToArray() };

        Assert.Equal(AssessmentPayload.Encode(original), AssessmentPayload.Encode(shuffled));
    }

    [Fact]
    public void Encode_OfDecode_OfCanonicalBytes_IsByteIdentical()
    {
        var bytes = AssessmentPayload.Encode(Sample());

        Assert.Equal(bytes, AssessmentPayload.Encode(AssessmentPayload.Decode(bytes)));
    }

    [Fact]
    public void Encode_Sample_IsCompactAsciiWithTheDocumentedShape()
    {
        var bytes = AssessmentPayload.Encode(Sample());
        var text = System.Text.Encoding.UTF8.GetString(bytes);

        Assert.All(bytes, b => Assert.True(b < 0x80));
        Assert.StartsWith(
            "{\"framework\":\"nis2-maturity/1\",\"profile\":{\"nis2Status\":\"important\",\"country\":\"DE\",\"category\":\"eu-city\",\"population\":\"200k-1M\",\"itStaff\":\"10-50\"},\"answers\":[{\"id\":\"gov.1\",\"current\":4,\"target\":5,\"evidence\":\"Beschluss des Stadtrats \\u2013 12/2025\"},{\"id\":\"gov.2\",\"current\":2,\"target\":3},",
            text,
            StringComparison.Ordinal);
        Assert.Contains("{\"id\":\"j-mfa.4\",\"notApplicable\":true,\"notApplicableReason\":\"no internal video\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain("\": ", text, StringComparison.Ordinal);
        Assert.DoesNotContain(", \"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_InvalidAssessment_Throws()
    {
        var invalid = MaturityTestData.Uniform(2, 3).With(PracticeAnswer.Rated("gov.1", 8, 3));

        Assert.Throws<InvalidAssessmentException>(() => AssessmentPayload.Encode(invalid));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"framework\":\"nis2-maturity/1\"}")]
    [InlineData("{\"framework\":\"nis2-maturity/1\",\"profile\":{\"nis2Status\":\"x\",\"country\":\"DE\",\"category\":\"eu-city\",\"population\":\"<50k\",\"itStaff\":\"<10\"},\"answers\":[]}")]
    [InlineData("{\"framework\":\"nis2-maturity/1\",\"profile\":{\"nis2Status\":\"important\",\"country\":\"DE\",\"category\":\"eu-city\",\"population\":\"<50k\",\"itStaff\":\"<10\"},\"answers\":[{\"id\":\"gov.1\",\"current\":2.5}]}")]
    public void Decode_Garbage_ThrowsAssessmentFormatException(string payload)
    {
        Assert.Throws<AssessmentFormatException>(() => AssessmentPayload.Decode(System.Text.Encoding.UTF8.GetBytes(payload)));
    }

    [Fact]
    public void Decode_UnknownKeys_AreIgnored()
    {
        var text = System.Text.Encoding.UTF8.GetString(AssessmentPayload.Encode(Sample()))
            .Replace("{\"framework\"", "{\"futureField\":{\"a\":1},\"framework\"", StringComparison.Ordinal);

        var decoded = AssessmentPayload.Decode(System.Text.Encoding.UTF8.GetBytes(text));

        Assert.True(Sample().SameAs(decoded));
    }
}
