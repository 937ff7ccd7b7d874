using System.Diagnostics;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>Polling: wait for a condition, never for a fixed time.</summary>
public static class Retry
{
    /// <summary>The longest one check may run (a few CLI runs in parallel, each bounded by <see cref="TestTimeouts.Command"/>).</summary>
    private static readonly TimeSpan CheckBound = TestTimeouts.Command + TimeSpan.FromSeconds(15);

    /// <summary>
    /// Polls <paramref name="check"/>, which returns null when the condition holds and otherwise
    /// says what is still missing, until it holds; returns how long that took. No check starts
    /// after <paramref name="timeout"/>, but one that started before is allowed to finish: what it
    /// reports was so when it asked, and on a loaded machine one CLI run may take seconds. Throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> and the last thing missing.
    /// Returns when the check that succeeded started and when it ended.
    /// </summary>
    public static async Task<(TimeSpan Started, TimeSpan Ended)> UntilAsync(Func<Task<string?>> check, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var started = clock.Elapsed;
            string? missing;
            try
            {
                missing = await check().WithTimeout(CheckBound).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                missing = "the check did not finish: " + ex.Message;
            }
            if (missing is null)
            {
                return (started, clock.Elapsed);
            }
            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s (last check ended at {clock.Elapsed.TotalSeconds:0.#} s) waiting for {what}. Still missing: {missing}");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
    }
}
