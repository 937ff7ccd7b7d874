using I4C.Node.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Tests;

/// <summary>The fixture's guard itself: an unexpected error log fails, an expected one does not.</summary>
[Trait("Category", "Unit")]
public sealed class TestLogTests
{
    [Fact]
    public void AssertNoUnexpectedErrors_ErrorNotExpected_Throws()
    {
        // Arrange
        var log = new TestLog();
        log.CreateLogger("Test").Log(LogLevel.Error, new EventId(1, "SomethingBroke"), "boom");
        log.CreateLogger("Test").Log(LogLevel.Warning, new EventId(2, "JustAWarning"), "hm");

        // Act
        var error = Record.Exception(log.AssertNoUnexpectedErrors);

        // Assert
        Assert.IsType<Xunit.Sdk.XunitException>(error);
        Assert.Contains("SomethingBroke", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("JustAWarning", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertNoUnexpectedErrors_ErrorExpected_Passes()
    {
        // Arrange
        var log = new TestLog();
        log.Expect("SomethingBroke");
        log.CreateLogger("Test").Log(LogLevel.Critical, new EventId(1, "SomethingBroke"), "boom");

        // Act
        log.AssertNoUnexpectedErrors();

        // Assert
        Assert.True(log.Has("SomethingBroke", LogLevel.Critical));
        Assert.Equal(1, log.Count("SomethingBroke"));
    }
}
