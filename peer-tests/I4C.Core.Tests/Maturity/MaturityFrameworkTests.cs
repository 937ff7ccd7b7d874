using System.Text.RegularExpressions;
using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed partial class MaturityFrameworkTests
{
    private static readonly string[] ExpectedCodes =
    [
        "gov", "a-risk", "b-incident", "c-continuity", "d-supply", "e-acquisition", "f-effectiveness", "g-hygiene",
        "h-crypto", "i-hr", "i-access", "i-assets", "j-mfa", "rep", "share",
    ];

    [GeneratedRegex(@"^Art\. (20|23|29|21\(2\)\([a-j]\))$")]
    private static partial Regex ArticleCitation();

    [GeneratedRegex(@"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}$")]
    private static partial Regex CsfCategory();

    [Fact]
    public void Current_LoadedFromEmbeddedResource_IsVersionNis2Maturity1()
    {
        // Act
        var framework = MaturityFramework.Current;

        // Assert
        Assert.Equal("nis2-maturity/1", framework.Version);
        Assert.Contains("nis2-maturity/1", MaturityFramework.KnownVersions);
    }

    [Fact]
    public void Domains_OfCurrent_AreTheFifteenDocumentedCodesInOrder()
    {
        // Act
        var codes = MaturityFramework.Current.Domains.Select(d => d.Code);

        // Assert
        Assert.Equal(ExpectedCodes, codes);
    }

    [Fact]
    public void Domains_OfCurrent_EachCiteAnArticleAndHoldFourToSixPractices()
    {
        foreach (var domain in MaturityFramework.Current.Domains)
        {
            Assert.Matches(ArticleCitation(), domain.Article);
            Assert.InRange(domain.Practices.Count, 4, 6);
            Assert.All(domain.Practices, p => Assert.False(string.IsNullOrWhiteSpace(p.Text)));
        }
    }

    [Fact]
    public void Domains_OfCurrent_CoverArticle21PointsAToJWithPointISplitInThree()
    {
        // Act
        var byArticle = MaturityFramework.Current.Domains.GroupBy(d => d.Article).ToDictionary(g => g.Key, g => g.Select(d => d.Code).ToArray());

        // Assert
        foreach (var point in "abcdefghij")
        {
            Assert.True(byArticle.ContainsKey($"Art. 21(2)({point})"), $"no domain for Art. 21(2)({point})");
        }
        Assert.Equal(["i-hr", "i-access", "i-assets"], byArticle["Art. 21(2)(i)"]);
        Assert.Equal(["gov"], byArticle["Art. 20"]);
        Assert.Equal(["rep"], byArticle["Art. 23"]);
        Assert.Equal(["share"], byArticle["Art. 29"]);
    }

    [Fact]
    public void Practices_OfCurrent_AreNumberedFromOnePerDomain()
    {
        foreach (var domain in MaturityFramework.Current.Domains)
        {
            var expected = Enumerable.Range(1, domain.Practices.Count).Select(n => $"{domain.Code}.{n}");
            Assert.Equal(expected, domain.Practices.Select(p => p.Id));
            Assert.All(domain.Practices, p => Assert.Equal(domain.Code, p.DomainCode));
        }
    }

    [Fact]
    public void CrossReferences_OfCurrent_NameExactCsfCategoriesOrCisControlNumbers()
    {
        var refs = MaturityFramework.Current.Domains.SelectMany(d => d.CrossReferences).ToArray();
        Assert.NotEmpty(refs);
        foreach (var r in refs)
        {
            switch (r.Framework)
            {
                case "NIST CSF 2.0":
                    Assert.Matches(CsfCategory(), r.Id);
                    break;
                case "CIS Controls v8":
                    Assert.InRange(int.Parse(r.Id, System.Globalization.CultureInfo.InvariantCulture), 1, 18);
                    break;
                default:
                    Assert.Fail($"unexpected framework '{r.Framework}'");
                    break;
            }
        }
    }

    [Fact]
    public void Scale_OfCurrent_IsZeroToFiveWithAMeaningEach()
    {
        // Act
        var scale = MaturityFramework.Current.Scale;

        // Assert
        Assert.Equal([0, 1, 2, 3, 4, 5], scale.Select(s => s.Level));
        Assert.Equal(["Not performed", "Performed informally", "Planned and tracked", "Well defined", "Quantitatively controlled", "Continuously improving"], scale.Select(s => s.Name));
        Assert.All(scale, s => Assert.False(string.IsNullOrWhiteSpace(s.Meaning)));
    }

    [Fact]
    public void FindPractice_KnownAndUnknownIds_ReturnsPracticeOrNull()
    {
        var framework = MaturityFramework.Current;

        Assert.Equal("b-incident", framework.FindPractice("b-incident.1")!.DomainCode);
        Assert.Equal("b-incident", framework.DomainOf(framework.FindPractice("b-incident.1")!).Code);
        Assert.Null(framework.FindPractice("b-incident.99"));
        Assert.Null(framework.FindDomain("k-unknown"));
    }

    [Theory]
    [InlineData("nis2-maturity/2")]
    [InlineData("")]
    [InlineData(null)]
    public void TryGet_UnknownVersion_ReturnsFalse(string? version)
    {
        Assert.False(MaturityFramework.TryGet(version, out _));
    }

    [Fact]
    public void Parse_PracticeIdsOutOfOrder_ThrowsFormatExceptionNamingTheId()
    {
        // Arrange
        const string json = """
            {"version":"t/1","title":"t","source":"s",
             "scale":[{"level":0,"name":"a","meaning":"a"},{"level":1,"name":"a","meaning":"a"},{"level":2,"name":"a","meaning":"a"},
                      {"level":3,"name":"a","meaning":"a"},{"level":4,"name":"a","meaning":"a"},{"level":5,"name":"a","meaning":"a"}],
             "domains":[{"code":"gov","title":"t","article":"Art. 20","summary":"s","practices":[{"id":"gov.2","text":"x"}]}]}
            """;

        // Act
        var e = Assert.Throws<FormatException>(() => MaturityFramework.Parse(System.Text.Encoding.UTF8.GetBytes(json)));

        // Assert
        Assert.Contains("'gov.2' should be 'gov.1'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UpperCaseDomainCode_ThrowsFormatException()
    {
        const string json = """
            {"version":"t/1","title":"t","source":"s",
             "scale":[{"level":0,"name":"a","meaning":"a"},{"level":1,"name":"a","meaning":"a"},{"level":2,"name":"a","meaning":"a"},
                      {"level":3,"name":"a","meaning":"a"},{"level":4,"name":"a","meaning":"a"},{"level":5,"name":"a","meaning":"a"}],
             "domains":[{"code":"Gov","title":"t","article":"Art. 20","summary":"s","practices":[{"id":"Gov.1","text":"x"}]}]}
            """;

        var e = Assert.Throws<FormatException>(() => MaturityFramework.Parse(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Contains("'Gov'", e.Message, StringComparison.Ordinal);
    }
}
