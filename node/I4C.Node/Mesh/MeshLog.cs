using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;

/// <summary>Log events of the mesh layer (2000–2999). Event ids are stable; tests assert on names.</summary>
internal static partial class MeshLog
{
    [LoggerMessage(EventId = 2000, EventName = "CharterAdopted", Level = LogLevel.Information, Message = "Adopted charter '{Title}': mesh {MeshId} with {Founders} founders")]
    public static partial void CharterAdopted(ILogger logger, string title, string meshId, int founders);

    [LoggerMessage(EventId = 2001, EventName = "CardPublished", Level = LogLevel.Information, Message = "Published member card {RecordId} (endpoints {Endpoints}, udp {Udp})")]
    public static partial void CardPublished(ILogger logger, string recordId, string endpoints, int udp);

    [LoggerMessage(EventId = 2002, EventName = "RosterChanged", Level = LogLevel.Information, Message = "Roster now has {Members} members")]
    public static partial void RosterChanged(ILogger logger, int members);

    [LoggerMessage(EventId = 2100, EventName = "LinkUp", Level = LogLevel.Information, Message = "Link {Direction} with {Peer} ({Name}) up")]
    public static partial void LinkUp(ILogger logger, string direction, string peer, string name);

    [LoggerMessage(EventId = 2101, EventName = "LinkDown", Level = LogLevel.Information, Message = "Link with {Peer} down: {Why}")]
    public static partial void LinkDown(ILogger logger, string peer, string why);

    [LoggerMessage(EventId = 2102, EventName = "DialFailed", Level = LogLevel.Debug, Message = "Dialing {Endpoint} failed: {Why}; next try in {BackoffMs} ms")]
    public static partial void DialFailed(ILogger logger, string endpoint, string why, long backoffMs);

    [LoggerMessage(EventId = 2103, EventName = "NonMemberRefused", Level = LogLevel.Information, Message = "Refused mesh call {Method} from a non-member (certificate {CertificateHash})")]
    public static partial void NonMemberRefused(ILogger logger, string method, string certificateHash);

    [LoggerMessage(EventId = 2200, EventName = "RecordRejected", Level = LogLevel.Warning, Message = "Rejected record {RecordId} from {Peer}: {Reason}")]
    public static partial void RecordRejected(ILogger logger, string recordId, string peer, string reason);

    [LoggerMessage(EventId = 2201, EventName = "PeerPenalised", Level = LogLevel.Warning, Message = "Peer {Peer} penalised {Penalty} for {Why}; score {Score}")]
    public static partial void PeerPenalised(ILogger logger, string peer, int penalty, string why, int score);

    [LoggerMessage(EventId = 2202, EventName = "PeerBanned", Level = LogLevel.Warning, Message = "Peer {Peer} disconnected and banned for {Seconds}s (score {Score})")]
    public static partial void PeerBanned(ILogger logger, string peer, int seconds, int score);

    [LoggerMessage(EventId = 2203, EventName = "EquivocationDetected", Level = LogLevel.Warning, Message = "Author {Author} signed two records at seq {Seq} on one channel: fork proof stored")]
    public static partial void EquivocationDetected(ILogger logger, string author, ulong seq);

    [LoggerMessage(EventId = 2204, EventName = "ProtocolViolation", Level = LogLevel.Warning, Message = "Protocol violation by {Peer}: {Why}")]
    public static partial void ProtocolViolation(ILogger logger, string peer, string why);

    [LoggerMessage(EventId = 2300, EventName = "RecordsReceived", Level = LogLevel.Debug, Message = "Stored {Stored} of {Count} records from {Peer}")]
    public static partial void RecordsReceived(ILogger logger, int stored, int count, string peer);

    [LoggerMessage(EventId = 2400, EventName = "UdpSessionUp", Level = LogLevel.Debug, Message = "UDP session with {Peer} up")]
    public static partial void UdpSessionUp(ILogger logger, string peer);

    [LoggerMessage(EventId = 2401, EventName = "UdpRefused", Level = LogLevel.Debug, Message = "UDP connection from {Remote} refused: {Why}")]
    public static partial void UdpRefused(ILogger logger, string remote, string why);

    [LoggerMessage(EventId = 2402, EventName = "PeerUnreachable", Level = LogLevel.Information, Message = "Peer {Peer} unreachable over UDP: {Why}")]
    public static partial void PeerUnreachable(ILogger logger, string peer, string why);

    [LoggerMessage(EventId = 2900, EventName = "LinkError", Level = LogLevel.Debug, Message = "Link with {Peer} failed")]
    public static partial void LinkError(ILogger logger, string peer, Exception exception);
}
