namespace I4C.Node.Tests.Infrastructure;

/// <summary>
/// Every await in a test is bounded (as grpc-dotnet's functional tests do): a hung
/// node fails the test after <see cref="Default"/> instead of hanging the run.
/// </summary>
public static class TestTimeouts
{
    /// <summary>The default bound for one awaited step.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>How long a node process may take to start (JIT of a cold ASP.NET host on a busy 2-core machine).</summary>
    public static readonly TimeSpan ProcessStart = TimeSpan.FromSeconds(45);

    public static Task WithTimeout(this Task task, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.WaitAsync(timeout ?? Default);
    }

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.WaitAsync(timeout ?? Default);
    }

    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null) => task.AsTask().WithTimeout(timeout);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null) => task.AsTask().WithTimeout(timeout);
}
