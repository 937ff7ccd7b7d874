namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// Bounds for every await in these tests. Generous, because the tests share two cores
/// with whatever else is building, but finite: a hang fails the test with a message
/// instead of stalling the run.
/// </summary>
public static class Timeouts
{
    /// <summary>A single call: an RPC, a publish, a CLI command.</summary>
    public static readonly TimeSpan Call = TimeSpan.FromSeconds(30);

    /// <summary>Starting one node (Kestrel, UDP, SQLite migrations, card).</summary>
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(30);

    /// <summary>Stopping one node.</summary>
    public static readonly TimeSpan Stop = TimeSpan.FromSeconds(40);

    /// <summary>A mesh converging: links up, records spread.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    /// <summary>Awaits the task, failing with a message that names what was awaited when it takes longer than the bound.</summary>
    public static async Task Within(this Task task, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    /// <inheritdoc cref="Within(Task, TimeSpan, string)"/>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }

    /// <inheritdoc cref="Within(Task, TimeSpan, string)"/>
    public static Task<T> Within<T>(this ValueTask<T> task, TimeSpan timeout, string what) => task.AsTask().Within(timeout, what);

    /// <inheritdoc cref="Within(Task, TimeSpan, string)"/>
    public static Task Within(this ValueTask task, TimeSpan timeout, string what) => task.AsTask().Within(timeout, what);
}
