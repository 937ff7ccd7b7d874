using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests.Support;

/// <summary>One fixed starting instant for every test, so times in failures are easy to read.</summary>
internal static class TestClock
{
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Create() => new(Start);
}
