using Google.Protobuf;
using Google.Protobuf.Reflection;
using I4C.Core.Encoding;
using I4C.Core.Maturity;
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

    /// <summary>The message type of the kind's payload, or null for kinds whose payload this version does not decode (the same kinds as <see cref="ParserFor"/>).</summary>
    public static MessageDescriptor? DescriptorFor(RecordKind kind) => kind switch
    {
        RecordKind.Advisory => Advisory.Descriptor,
        RecordKind.Incident => Incident.Descriptor,
        RecordKind.Practice => Practice.Descriptor,
        RecordKind.Retraction => Retraction.Descriptor,
        RecordKind.MemberCard => MemberCard.Descriptor,
        RecordKind.Receipt => Receipt.Descriptor,
        RecordKind.Endorsement => Endorsement.Descriptor,
        RecordKind.Revocation => Revocation.Descriptor,
        RecordKind.KeyRotation => KeyRotation.Descriptor,
        RecordKind.Charter => CharterDocument.Descriptor,
        RecordKind.ForkProof => ForkProofPayload.Descriptor,
        _ => null,
    };

    /// <summary>
    /// Why a plain (unencrypted) payload is not a valid payload of its kind, or null when it is (or when this version does
    /// not decode the kind). Protobuf kinds must parse; an ASSESSMENT payload must be the assessment JSON
    /// (<see cref="AssessmentPayload"/>) and, when it names a framework version this node ships, pass
    /// <see cref="AssessmentValidator"/>. An assessment of a framework version this node does not know is accepted
    /// (a newer node may have written it) and left out of this node's benchmarks.
    /// </summary>
    public static string? Problem(RecordKind kind, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (kind == RecordKind.Assessment)
        {
            return AssessmentProblem(payload);
        }
        // Checked without decoding (I4C.Core.Encoding.WireCheck): the same rules as the parser, no allocation.
        return DescriptorFor(kind) is { } descriptor && WireCheck.Problem(descriptor, payload) is { } problem
            ? $"the {RecordKinds.Name(kind)} payload does not parse: {problem}"
            : null;
    }

    /// <summary>Why ASSESSMENT payload bytes are not a valid assessment (the first error, naming the practice or field), or null.</summary>
    public static string? AssessmentProblem(ReadOnlySpan<byte> payload)
    {
        Assessment assessment;
        try
        {
            assessment = AssessmentPayload.Decode(payload);
        }
        catch (AssessmentFormatException ex)
        {
            return ex.Message;
        }
        if (!MaturityFramework.TryGet(assessment.FrameworkVersion, out _))
        {
            return null;
        }
        var error = AssessmentValidator.Validate(assessment).Errors.FirstOrDefault();
        return error is null ? null : $"assessment payload: {error}";
    }

    /// <summary>A one-line title for an assessment payload ("NIS2 self-assessment (nis2-maturity/1, DE, important entity)"), or "" when it does not decode.</summary>
    public static string AssessmentTitle(ReadOnlySpan<byte> payload)
    {
        try
        {
            var a = AssessmentPayload.Decode(payload);
            return $"NIS2 self-assessment ({a.FrameworkVersion}, {a.Profile.Country}, {CityProfile.Format(a.Profile.Nis2Status)})";
        }
        catch (AssessmentFormatException)
        {
            return string.Empty;
        }
    }

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
