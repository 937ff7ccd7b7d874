namespace I4C.Netns.Tests.Infrastructure;

/// <summary>
/// Every wait in these tests is bounded, so a hung node or a lost packet fails the test with a
/// message instead of hanging the run. The figures allow for a busy 2-core machine running four
/// cold ASP.NET hosts at once (and other test projects in parallel).
/// </summary>
public static class TestTimeouts
{
    /// <summary>One short command: an `ip` call or one CLI run.</summary>
    public static readonly TimeSpan Command = TimeSpan.FromSeconds(30);

    /// <summary>A node process from start until it has written admin.endpoint.</summary>
    public static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(60);

    /// <summary>Four nodes that know each other only through mDNS linking up and replicating a record.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>Linked members noticing that a host's link went down (UDP disconnect timeout 5 s, plus CLI latency).</summary>
    public static readonly TimeSpan Unreachable = TimeSpan.FromSeconds(15);

    /// <summary>A host whose link came back catching up on what it missed.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(60);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.WaitAsync(timeout);
    }
}
