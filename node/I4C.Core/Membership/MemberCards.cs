using I4C.Core.Identity;
using I4C.Protocol.V1;
using ProtoCategory = I4C.Protocol.V1.CardCategory;
using ProtoParticipation = I4C.Protocol.V1.CardParticipation;

namespace I4C.Core.Membership;

/// <summary>Member card checks and conversions.</summary>
public static class MemberCards
{
    public const int MaxEndpoints = 16;

    public static string? Problem(MemberCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        var profile = new NodeProfile(card.Name, card.Country, Identity.MemberCategory.Other, Identity.Participation.Active);
        if (profile.Problem() is { } problem)
        {
            return problem;
        }
        if (card.Category == ProtoCategory.Unspecified || !Enum.IsDefined(card.Category))
        {
            return "the category is missing";
        }
        if (card.Participation == ProtoParticipation.Unspecified || !Enum.IsDefined(card.Participation))
        {
            return "the participation is missing";
        }
        if (card.X25519Key.Length != 32)
        {
            return "the X25519 key is not 32 bytes";
        }
        if (card.TlsCertSha256.Length != 32)
        {
            return "the TLS certificate hash is not 32 bytes";
        }
        if (card.MeshEndpoints.Count > MaxEndpoints)
        {
            return $"more than {MaxEndpoints} endpoints";
        }
        if (card.UdpPort is < 0 or > 65535)
        {
            return "the UDP port is out of range";
        }
        return null;
    }

    public static ProtoCategory ToProto(Identity.MemberCategory category) => category switch
    {
        Identity.MemberCategory.EuCity => ProtoCategory.EuCity,
        Identity.MemberCategory.NonEuCity => ProtoCategory.NonEuCity,
        _ => ProtoCategory.Other,
    };

    public static ProtoParticipation ToProto(Identity.Participation participation) =>
        participation == Identity.Participation.Listener ? ProtoParticipation.Listener : ProtoParticipation.Active;

    public static string Format(ProtoCategory category) => category switch
    {
        ProtoCategory.EuCity => "eu-city",
        ProtoCategory.NonEuCity => "non-eu-city",
        _ => "other",
    };

    public static string Format(ProtoParticipation participation) =>
        participation == ProtoParticipation.Listener ? "listener" : "active";
}
