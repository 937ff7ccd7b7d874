namespace I4C.Benchmarks.Shared;

/// <summary>i4c-bench's exit codes (docs/benchmarks.md).</summary>
public static class ExitCodes
{
    /// <summary>Every benchmark ran.</summary>
    public const int Ok = 0;

    /// <summary>A benchmark failed, or the node could not be started or reached.</summary>
    public const int Failure = 1;

    /// <summary>Wrong command line.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C or SIGTERM (the node was killed and the temporary directories deleted).</summary>
    public const int Cancelled = 130;
}
