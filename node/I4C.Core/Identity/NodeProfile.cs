namespace I4C.Core.Identity;

/// <summary>The ISAC's membership categories.</summary>
public enum MemberCategory
{
    EuCity,
    NonEuCity,
    Other,
}

/// <summary>Active members publish and receive; listeners only receive.</summary>
public enum Participation
{
    Active,
    Listener,
}

/// <summary>How a node presents itself: display name, country, category, participation.</summary>
public sealed record NodeProfile(string Name, string Country, MemberCategory Category, Participation Participation)
{
    public const int MaxNameLength = 120;

    /// <summary>Checks the profile and returns what is wrong, or null when it is fine.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            return "the name is empty; give the city's display name, e.g. --name \"City of Bonn\"";
        }
        if (Name.Length > MaxNameLength)
        {
            return $"the name is longer than {MaxNameLength} characters";
        }
        if (Country.Length != 2 || !Country.All(char.IsAsciiLetterUpper))
        {
            return $"'{Country}' is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. DE)";
        }
        return null;
    }

    public static string Format(MemberCategory category) => category switch
    {
        MemberCategory.EuCity => "eu-city",
        MemberCategory.NonEuCity => "non-eu-city",
        _ => "other",
    };

    public static string Format(Participation participation) =>
        participation == Participation.Listener ? "listener" : "active";

    public static bool TryParseCategory(string? text, out MemberCategory category)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "eu-city": category = MemberCategory.EuCity; return true;
            case "non-eu-city": category = MemberCategory.NonEuCity; return true;
            case "other": category = MemberCategory.Other; return true;
            default: category = MemberCategory.Other; return false;
        }
    }

    public static bool TryParseParticipation(string? text, out Participation participation)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "active": participation = Participation.Active; return true;
            case "listener": participation = Participation.Listener; return true;
            default: participation = Participation.Active; return false;
        }
    }
}
