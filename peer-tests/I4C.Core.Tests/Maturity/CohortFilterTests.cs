using I4C.Core.Identity;
using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

[Trait("Category", "Unit")]
public sealed class CohortFilterTests
{
    [Fact]
    public void TryParse_AllKeys_SetsEveryKeyAndPrintsCanonically()
    {
        var ok = CohortFilter.TryParse(" it-staff=10-50, population=200K-1m ,nis2=essential,category=eu-city,country=de", out var filter, out var error);

        Assert.True(ok, error);
        Assert.Equal(new CohortFilter("DE", MemberCategory.EuCity, Nis2Status.Essential, PopulationBand.From200KTo1M, ItStaffBand.From10To50), filter);
        Assert.Equal("country=DE,category=eu-city,nis2=essential,population=200k-1M,it-staff=10-50", filter.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("all")]
    public void TryParse_Nothing_IsAll(string? text)
    {
        Assert.True(CohortFilter.TryParse(text, out var filter, out _));
        Assert.True(filter.IsAll);
    }

    [Theory]
    [InlineData("country", "is not key=value")]
    [InlineData("size=big", "unknown cohort key 'size'")]
    [InlineData("country=Germany", "not an ISO 3166-1 alpha-2")]
    [InlineData("population=huge", "allowed values: <50k, 50k-200k, 200k-1M, >1M")]
    [InlineData("country=DE,country=FR", "given twice")]
    public void TryParse_BadPair_NamesIt(string text, string expected)
    {
        Assert.False(CohortFilter.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProperSubsets_TwoKeys_AreAllAndEachSingleKey()
    {
        var filter = new CohortFilter(Country: "DE", Population: PopulationBand.Under50K);

        var subsets = filter.ProperSubsets().Select(f => f.ToString()).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["all peers", "country=DE", "population=<50k"], subsets);
    }
}
