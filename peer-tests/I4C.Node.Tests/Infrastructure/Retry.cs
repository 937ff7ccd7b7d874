using System.Diagnostics;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>Polling helpers (nats.net's Retry.Until): wait for a condition, never for a fixed time.</summary>
public static class Retry
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Polls <paramref name="condition"/> until it returns true; throws a <see cref="TimeoutException"/>
    /// naming <paramref name="what"/> when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "the condition", TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition().WithTimeout(timeout).ConfigureAwait(false))
            {
                return;
            }
            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }
            await Task.Delay(interval ?? DefaultInterval).ConfigureAwait(false);
        }
    }

    /// <summary>The synchronous-condition form of <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, string, TimeSpan?)"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what = "the condition", TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), timeout, what, interval);
    }
}
