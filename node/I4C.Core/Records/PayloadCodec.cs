using Google.Protobuf;
using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>Maps a record kind to its payload message and back.</summary>
public static class PayloadCodec
{
    /// <summary>The parser for the kind's payload, or null for kinds whose payload this version does not decode.</summary>
    public static MessageParser? ParserFor(RecordKind kind) => kind switch
    {
        RecordKind.Advisory => Advisory.Parser,
        RecordKind.Incident => Incident.Parser,
        RecordKind.Practice => Practice.Parser,
        RecordKind.Retraction => Retraction.Parser,
        RecordKind.MemberCard => MemberCard.Parser,
        RecordKind.Receipt => Receipt.Parser,
        RecordKind.Endorsement => Endorsement.Parser,
        RecordKind.Revocation => Revocation.Parser,
        RecordKind.KeyRotation => KeyRotation.Parser,
        RecordKind.Charter => CharterDocument.Parser,
        RecordKind.ForkProof => ForkProofPayload.Parser,
        _ => null,
    };

    /// <summary>Decodes a plain payload; throws <see cref="InvalidProtocolBufferException"/> on bad bytes.</summary>
    public static IMessage? Decode(RecordKind kind, ReadOnlySpan<byte> payload) => ParserFor(kind)?.ParseFrom(payload.ToArray());

    public static string Title(IMessage? payload) => payload switch
    {
        Advisory a => a.Title,
        Incident i => i.Title,
        Practice p => p.Title,
        Retraction r => "Retraction: " + r.Reason,
        MemberCard c => $"Member card: {c.Name} ({c.Country})",
        CharterDocument => "Charter",
        Receipt r => $"Receipt ({r.Type}) for {Convert.ToHexStringLower(r.Target.Span)[..16]}",
        ForkProofPayload => "Fork proof",
        Endorsement => "Endorsement",
        Revocation r => $"Revocation: {r.Reason}",
        KeyRotation => "Key rotation",
        _ => string.Empty,
    };
}
