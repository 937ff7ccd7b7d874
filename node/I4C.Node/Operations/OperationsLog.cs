using Microsoft.Extensions.Logging;

namespace I4C.Node.Operations;

/// <summary>Log events of operations: resource limits, backups (3000–3199). Event ids are stable; tests assert on event names.</summary>
internal static partial class OperationsLog
{
    [LoggerMessage(EventId = 3000, EventName = "LimitHit", Level = LogLevel.Warning,
        Message = "Limit {Limit} hit: {What} ({Suppressed} more hits of this limit since the last line)")]
    public static partial void LimitHit(ILogger logger, string limit, string what, long suppressed);

    [LoggerMessage(EventId = 3100, EventName = "BackupWritten", Level = LogLevel.Information,
        Message = "Backup written: {Files} files, {Bytes} bytes, {Records} records, schema v{Schema}")]
    public static partial void BackupWritten(ILogger logger, int files, long bytes, long records, int schema);

    [LoggerMessage(EventId = 3101, EventName = "BackupFailed", Level = LogLevel.Error, Message = "Backup failed")]
    public static partial void BackupFailed(ILogger logger, Exception exception);
}
