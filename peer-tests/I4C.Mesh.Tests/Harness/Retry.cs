using System.Diagnostics;

namespace I4C.Mesh.Tests.Harness;

/// <summary>Polling instead of sleeping: waits until a condition holds, or fails saying what it waited for and what it saw last.</summary>
public static class Retry
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls <paramref name="condition"/> until it is true; returns how long it took.</summary>
    public static async Task<TimeSpan> Until(Func<bool> condition, TimeSpan timeout, Func<string> describe, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return clock.Elapsed;
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s until {describe()}");
            }
            await Task.Delay(interval ?? DefaultInterval).ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="Until(Func{bool}, TimeSpan, Func{string}, TimeSpan?)"/>
    public static Task<TimeSpan> Until(Func<bool> condition, TimeSpan timeout, string description, TimeSpan? interval = null) =>
        Until(condition, timeout, () => description, interval);

    /// <summary>Polls an asynchronous condition; each evaluation is itself bounded by the remaining time.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, Func<string> describe, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var remaining = timeout - clock.Elapsed;
            if (remaining > TimeSpan.Zero)
            {
                using var cts = new CancellationTokenSource(remaining);
                try
                {
                    if (await condition(cts.Token).WaitAsync(remaining).ConfigureAwait(false))
                    {
                        return clock.Elapsed;
                    }
                }
                catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
                {
                }
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s until {describe()}");
            }
            await Task.Delay(interval ?? DefaultInterval).ConfigureAwait(false);
        }
    }
}
