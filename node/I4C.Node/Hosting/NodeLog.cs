using Microsoft.Extensions.Logging;

namespace I4C.Node.Hosting;

/// <summary>The node's log events. Event ids are stable; tests assert on event names.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(EventId = 1000, EventName = "NodeStarted", Level = LogLevel.Information,
        Message = "Node {NodeId} ({Name}) started: admin {Admin}, mesh {Mesh}, udp {Udp}, schema v{Schema}")]
    public static partial void NodeStarted(ILogger logger, string nodeId, string name, string admin, string mesh, int udp, int schema);

    [LoggerMessage(EventId = 1001, EventName = "IdentityCreated", Level = LogLevel.Information,
        Message = "Created node identity {NodeId} (fingerprint {Fingerprint}) in {DataDirectory}")]
    public static partial void IdentityCreated(ILogger logger, string nodeId, string fingerprint, string dataDirectory);

    [LoggerMessage(EventId = 1002, EventName = "NodeStopping", Level = LogLevel.Information, Message = "Node {NodeId} stopping")]
    public static partial void NodeStopping(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1100, EventName = "RecordPublished", Level = LogLevel.Information,
        Message = "Published {Kind} {RecordId} ({Tlp}) seq {Seq}")]
    public static partial void RecordPublished(ILogger logger, string kind, string recordId, string tlp, ulong seq);

    [LoggerMessage(EventId = 1101, EventName = "PublishRefused", Level = LogLevel.Warning,
        Message = "Publish refused: {Reason}")]
    public static partial void PublishRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 1102, EventName = "RecordRetracted", Level = LogLevel.Information,
        Message = "Retracted {TargetId} by {RetractionId}")]
    public static partial void RecordRetracted(ILogger logger, string targetId, string retractionId);

    [LoggerMessage(EventId = 1103, EventName = "PayloadsExpired", Level = LogLevel.Information,
        Message = "Purged the payloads of {Count} expired records")]
    public static partial void PayloadsExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 1104, EventName = "VerifyFailed", Level = LogLevel.Error,
        Message = "Stored record {RecordId} failed re-verification: {Reason}")]
    public static partial void VerifyFailed(ILogger logger, string recordId, string reason);

    [LoggerMessage(EventId = 1200, EventName = "AdminUnauthenticated", Level = LogLevel.Warning,
        Message = "Admin call {Method} refused: {Why}")]
    public static partial void AdminUnauthenticated(ILogger logger, string method, string why);

    [LoggerMessage(EventId = 1300, EventName = "UdpDatagramDropped", Level = LogLevel.Debug,
        Message = "Dropped an unauthenticated UDP connection request from {Remote}")]
    public static partial void UdpDatagramDropped(ILogger logger, string remote);

    [LoggerMessage(EventId = 1400, EventName = "ExpirySweepFailed", Level = LogLevel.Error,
        Message = "Expiry sweep failed")]
    public static partial void ExpirySweepFailed(ILogger logger, Exception exception);
}
