namespace I4C.Cli;

/// <summary>The exit codes of i4c, documented in README.md and relied on by scripts.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>An unexpected failure (a bug; the message says what).</summary>
    public const int Internal = 1;
    /// <summary>Wrong command line: unknown flag, missing or invalid value, unreadable input file.</summary>
    public const int Usage = 2;
    /// <summary>No node is running for the data directory, or it does not answer.</summary>
    public const int NodeNotRunning = 3;
    /// <summary>The record (or other thing) asked for does not exist.</summary>
    public const int NotFound = 4;
    /// <summary>The node refused the request (invalid content, policy, a listener publishing …).</summary>
    public const int Refused = 5;
    /// <summary>`i4c verify` found stored records that fail verification.</summary>
    public const int VerifyFailed = 6;
    /// <summary>The data directory is missing an identity, already has one, or is unsafe.</summary>
    public const int DataDirectory = 7;
    /// <summary>The node refused the admin token.</summary>
    public const int Unauthorized = 8;
    /// <summary>`i4c sync` found (or `sync --wait` timed out with) records missing, or no peer connected.</summary>
    public const int NotInSync = 9;
    /// <summary>`i4c status`: the node runs but is Degraded (a health check warns; see the output).</summary>
    public const int NodeDegraded = 10;
    /// <summary>`i4c status`: the node runs but is Unhealthy (database not writable, a listener not bound, or the database at --max-db-size).</summary>
    public const int NodeUnhealthy = 11;
    /// <summary>`i4c backup` / `i4c restore`: the archive is damaged, truncated or not a backup, or the restore target is not empty.</summary>
    public const int BadBackup = 12;
    /// <summary>`i4c pilot`: a step of the scenario failed (the summary says which and why).</summary>
    public const int PilotFailed = 13;
}

/// <summary>An error to report as one line with the given exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
