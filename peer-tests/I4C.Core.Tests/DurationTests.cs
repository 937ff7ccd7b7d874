using I4C.Core.Records;

namespace I4C.Core.Tests;

[Trait("Category", "Unit")]
public sealed class DurationTests
{
    public static TheoryData<string, TimeSpan> Accepted => new()
    {
        { "90m", TimeSpan.FromMinutes(90) },
        { "12h", TimeSpan.FromHours(12) },
        { "30d", TimeSpan.FromDays(30) },
        { "2w", TimeSpan.FromDays(14) },
        { "45s", TimeSpan.FromSeconds(45) },
        { "1.5h", TimeSpan.FromMinutes(90) },
        { "12H", TimeSpan.FromHours(12) },
        { " 30d ", TimeSpan.FromDays(30) },
        { "P30D", TimeSpan.FromDays(30) },
        { "PT12H", TimeSpan.FromHours(12) },
        { "P1DT2H", TimeSpan.FromHours(26) },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void TryParse_AcceptedForm_ReturnsTheDuration(string text, TimeSpan expected)
    {
        // Act
        var ok = Durations.TryParse(text, out var duration);

        // Assert
        Assert.True(ok);
        Assert.Equal(expected, duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("0d")]
    [InlineData("0.0h")]
    [InlineData("-1h")]
    [InlineData("+1h")]
    [InlineData("5x")]
    [InlineData("5")]
    [InlineData("d")]
    [InlineData("1e3d")]
    [InlineData("1,5h")]
    [InlineData("P0D")]
    [InlineData("-P1D")]
    [InlineData("P")]
    [InlineData("Pxyz")]
    [InlineData("3651d")] // beyond the ten-year cap
    public void TryParse_RefusedForm_ReturnsFalseAndZero(string? text)
    {
        // Act
        var ok = Durations.TryParse(text, out var duration);

        // Assert
        Assert.False(ok);
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Theory]
    [InlineData("99999999999999d")]
    [InlineData("1000000000000000w")]
    [InlineData("P99999999999999D")]
    public void TryParse_HugeNumber_ReturnsFalseInsteadOfThrowing(string text)
    {
        // Act
        var ex = Record.Exception(() => Durations.TryParse(text, out _));

        // Assert
        Assert.Null(ex);
        Assert.False(Durations.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_IsoFormBeyondTenYears_IsRefusedLikeTheShortForm()
    {
        // Act / Assert: the short form caps at 3650 days; the ISO 8601 form must not be a way around it.
        Assert.False(Durations.TryParse("3651d", out _));
        Assert.False(Durations.TryParse("P3651D", out _));
    }
}
