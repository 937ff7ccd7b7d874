using I4C.Core.Identity;

namespace I4C.Core.Maturity;

/// <summary>
/// How NIS2 reaches the city. Art. 2(5) lets Member States extend the Directive to local public administration,
/// so this depends on national law. Tokens: essential, important, national-choice, voluntary.
/// </summary>
public enum Nis2Status
{
    /// <summary>"essential": an essential entity under the national NIS2 law.</summary>
    Essential,
    /// <summary>"important": an important entity under the national NIS2 law.</summary>
    Important,
    /// <summary>"national-choice": in scope because the Member State chose to include local administrations, without an entity class.</summary>
    NationalChoice,
    /// <summary>"voluntary": not in scope; the city applies NIS2 voluntarily.</summary>
    Voluntary,
}

/// <summary>Residents. Bands include their lower bound: "&lt;50k" is below 50 000, "50k-200k" is 50 000–199 999, "200k-1M" is 200 000–999 999, "&gt;1M" is 1 000 000 and more.</summary>
public enum PopulationBand
{
    Under50K,
    From50KTo200K,
    From200KTo1M,
    Over1M,
}

/// <summary>IT staff in full-time equivalents, the city's own and dedicated contractors. "&lt;10", "10-50" (10–49), "50-200" (50–199), "&gt;200" (200 and more).</summary>
public enum ItStaffBand
{
    Under10,
    From10To50,
    From50To200,
    Over200,
}

/// <summary>
/// The part of an assessment that places the city in cohorts: NIS2 status, ISO 3166-1 alpha-2 country,
/// membership category (the ISAC's, shared with <see cref="NodeProfile"/>), population band and IT staff band.
/// Each value has a stable text token (<see cref="Format(Nis2Status)"/> and friends) used in files, payloads and cohort filters.
/// </summary>
public sealed record CityProfile(Nis2Status Nis2Status, string Country, MemberCategory Category, PopulationBand Population, ItStaffBand ItStaff)
{
    public static IReadOnlyList<string> Nis2StatusTokens { get; } = ["essential", "important", "national-choice", "voluntary"];

    public static IReadOnlyList<string> CategoryTokens { get; } = ["eu-city", "non-eu-city", "other"];

    public static IReadOnlyList<string> PopulationTokens { get; } = ["<50k", "50k-200k", "200k-1M", ">1M"];

    public static IReadOnlyList<string> ItStaffTokens { get; } = ["<10", "10-50", "50-200", ">200"];

    /// <summary>Checks the profile and returns what is wrong, or null when it is fine.</summary>
    public string? Problem()
    {
        if (!IsCountryCode(Country))
        {
            return $"country '{Country}' is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. DE)";
        }
        if (!Enum.IsDefined(Nis2Status) || !Enum.IsDefined(Category) || !Enum.IsDefined(Population) || !Enum.IsDefined(ItStaff))
        {
            return "the profile holds a value outside the defined NIS2 status, category, population or IT staff bands";
        }
        return null;
    }

    public static bool IsCountryCode(string? text) => text is { Length: 2 } && text.All(char.IsAsciiLetterUpper);

    public static string Format(Nis2Status status) => TokenOf(Nis2StatusTokens, status);

    public static string Format(MemberCategory category) => NodeProfile.Format(category);

    public static string Format(PopulationBand band) => TokenOf(PopulationTokens, band);

    public static string Format(ItStaffBand band) => TokenOf(ItStaffTokens, band);

    public static bool TryParseNis2Status(string? text, out Nis2Status status) => TryToken(Nis2StatusTokens, text, out status);

    public static bool TryParseCategory(string? text, out MemberCategory category) => NodeProfile.TryParseCategory(text, out category);

    public static bool TryParsePopulation(string? text, out PopulationBand band) => TryToken(PopulationTokens, text, out band);

    public static bool TryParseItStaff(string? text, out ItStaffBand band) => TryToken(ItStaffTokens, text, out band);

    /// <summary>The band a head count falls into.</summary>
    public static PopulationBand PopulationBandFor(int residents)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(residents);
        return residents switch
        {
            < 50_000 => PopulationBand.Under50K,
            < 200_000 => PopulationBand.From50KTo200K,
            < 1_000_000 => PopulationBand.From200KTo1M,
            _ => PopulationBand.Over1M,
        };
    }

    /// <summary>The band an IT staff count (FTE) falls into.</summary>
    public static ItStaffBand ItStaffBandFor(double fullTimeEquivalents)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fullTimeEquivalents);
        return fullTimeEquivalents switch
        {
            < 10 => ItStaffBand.Under10,
            < 50 => ItStaffBand.From10To50,
            < 200 => ItStaffBand.From50To200,
            _ => ItStaffBand.Over200,
        };
    }

    private static string TokenOf<TEnum>(IReadOnlyList<string> tokens, TEnum value)
        where TEnum : struct, Enum
    {
        var index = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        return index >= 0 && index < tokens.Count
            ? tokens[index]
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a defined {typeof(TEnum).Name}");
    }

    // Tokens compare case-insensitively ("200K-1m" is "200k-1M"); the enum's order is the token list's order.
    private static bool TryToken<TEnum>(IReadOnlyList<string> tokens, string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        var trimmed = text?.Trim();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (string.Equals(tokens[i], trimmed, StringComparison.OrdinalIgnoreCase))
            {
                value = (TEnum)Enum.ToObject(typeof(TEnum), i);
                return true;
            }
        }
        value = default;
        return false;
    }
}
