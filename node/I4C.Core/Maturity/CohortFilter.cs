using I4C.Core.Identity;

namespace I4C.Core.Maturity;

/// <summary>
/// Restricts a benchmark to peers whose profile matches every given key. Text form (CLI <c>--cohort</c>):
/// comma-separated <c>key=value</c> pairs, keys <c>country</c>, <c>category</c>, <c>nis2</c>, <c>population</c>,
/// <c>it-staff</c>, values as in <see cref="CityProfile"/>; e.g. <c>country=DE,population=200k-1M</c>.
/// <see cref="ToString"/> gives the canonical form (keys in that order).
/// </summary>
public sealed record CohortFilter(
    string? Country = null,
    MemberCategory? Category = null,
    Nis2Status? Nis2Status = null,
    PopulationBand? Population = null,
    ItStaffBand? ItStaff = null)
{
    public static IReadOnlyList<string> Keys { get; } = ["country", "category", "nis2", "population", "it-staff"];

    /// <summary>No restriction: every peer.</summary>
    public static CohortFilter All { get; } = new();

    public bool IsAll => KeyCount == 0;

    public int KeyCount =>
        (Country is null ? 0 : 1) + (Category is null ? 0 : 1) + (Nis2Status is null ? 0 : 1) + (Population is null ? 0 : 1) + (ItStaff is null ? 0 : 1);

    public bool Matches(CityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return (Country is null || Country == profile.Country)
            && (Category is null || Category == profile.Category)
            && (Nis2Status is null || Nis2Status == profile.Nis2Status)
            && (Population is null || Population == profile.Population)
            && (ItStaff is null || ItStaff == profile.ItStaff);
    }

    /// <summary>Every filter made of a strict subset of this filter's keys, <see cref="All"/> included. These are the larger cohorts this one sits inside.</summary>
    public IEnumerable<CohortFilter> ProperSubsets()
    {
        bool[] set = [Country is not null, Category is not null, Nis2Status is not null, Population is not null, ItStaff is not null];
        var keys = Enumerable.Range(0, set.Length).Where(i => set[i]).ToArray();
        for (var mask = 0; mask < (1 << keys.Length) - 1; mask++)
        {
            var keep = new bool[set.Length];
            for (var bit = 0; bit < keys.Length; bit++)
            {
                keep[keys[bit]] = (mask & (1 << bit)) != 0;
            }
            yield return new CohortFilter(
                keep[0] ? Country : null,
                keep[1] ? Category : null,
                keep[2] ? Nis2Status : null,
                keep[3] ? Population : null,
                keep[4] ? ItStaff : null);
        }
    }

    public override string ToString()
    {
        if (IsAll)
        {
            return "all peers";
        }
        var parts = new List<string>();
        if (Country is not null)
        {
            parts.Add("country=" + Country);
        }
        if (Category is { } c)
        {
            parts.Add("category=" + CityProfile.Format(c));
        }
        if (Nis2Status is { } s)
        {
            parts.Add("nis2=" + CityProfile.Format(s));
        }
        if (Population is { } p)
        {
            parts.Add("population=" + CityProfile.Format(p));
        }
        if (ItStaff is { } i)
        {
            parts.Add("it-staff=" + CityProfile.Format(i));
        }
        return string.Join(",", parts);
    }

    /// <summary>Parses "key=value,key=value"; null, blank or "all" is <see cref="All"/>. Returns false with a message naming the faulty pair.</summary>
    public static bool TryParse(string? text, out CohortFilter filter, out string? error)
    {
        filter = All;
        error = null;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var result = All;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"'{raw}' is not key=value (keys: {string.Join(", ", Keys)}; e.g. country=DE,population=200k-1M)";
                return false;
            }
            var key = raw[..eq].Trim().ToLowerInvariant();
            var value = raw[(eq + 1)..].Trim();
            if (!seen.Add(key))
            {
                error = $"key '{key}' is given twice; a cohort takes one value per key";
                return false;
            }
            switch (key)
            {
                case "country":
                    var country = value.ToUpperInvariant();
                    if (!CityProfile.IsCountryCode(country))
                    {
                        error = $"country '{value}' is not an ISO 3166-1 alpha-2 code (e.g. DE)";
                        return false;
                    }
                    result = result with { Country = country };
                    break;
                case "category" when CityProfile.TryParseCategory(value, out var category):
                    result = result with { Category = category };
                    break;
                case "nis2" when CityProfile.TryParseNis2Status(value, out var status):
                    result = result with { Nis2Status = status };
                    break;
                case "population" when CityProfile.TryParsePopulation(value, out var population):
                    result = result with { Population = population };
                    break;
                case "it-staff" when CityProfile.TryParseItStaff(value, out var itStaff):
                    result = result with { ItStaff = itStaff };
                    break;
                case "category" or "nis2" or "population" or "it-staff":
                    error = $"{key} '{value}' is not allowed; allowed values: {string.Join(", ", AllowedValues(key))}";
                    return false;
                default:
                    error = $"unknown cohort key '{key}' (keys: {string.Join(", ", Keys)})";
                    return false;
            }
        }
        filter = result;
        return true;
    }

    private static IReadOnlyList<string> AllowedValues(string key) => key switch
    {
        "category" => CityProfile.CategoryTokens,
        "nis2" => CityProfile.Nis2StatusTokens,
        "population" => CityProfile.PopulationTokens,
        _ => CityProfile.ItStaffTokens,
    };
}
