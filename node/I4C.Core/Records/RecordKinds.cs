using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>Names and payload types of the record kinds.</summary>
public static class RecordKinds
{
    public static bool IsKnown(RecordKind kind) =>
        kind != RecordKind.Unspecified && Enum.IsDefined(kind);

    /// <summary>The kind's command-line name: advisory, incident, member-card …</summary>
    public static string Name(RecordKind kind) => kind switch
    {
        RecordKind.Advisory => "advisory",
        RecordKind.Incident => "incident",
        RecordKind.Practice => "practice",
        RecordKind.Rfi => "rfi",
        RecordKind.Answer => "answer",
        RecordKind.Sighting => "sighting",
        RecordKind.Receipt => "receipt",
        RecordKind.Retraction => "retraction",
        RecordKind.Assessment => "assessment",
        RecordKind.Charter => "charter",
        RecordKind.MemberCard => "member-card",
        RecordKind.Endorsement => "endorsement",
        RecordKind.AgreementSignature => "agreement-signature",
        RecordKind.Revocation => "revocation",
        RecordKind.KeyRotation => "key-rotation",
        RecordKind.ForkProof => "fork-proof",
        _ => $"kind-{(int)kind}",
    };

    public static bool TryParse(string? text, out RecordKind kind)
    {
        var t = text?.Trim().ToLowerInvariant();
        foreach (var k in Enum.GetValues<RecordKind>())
        {
            if (k != RecordKind.Unspecified && Name(k) == t)
            {
                kind = k;
                return true;
            }
        }
        kind = RecordKind.Unspecified;
        return false;
    }
}
