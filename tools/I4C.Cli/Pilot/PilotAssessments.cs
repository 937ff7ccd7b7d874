using System.Security.Cryptography;
using System.Text;
using I4C.Core.Identity;
using I4C.Core.Maturity;

namespace I4C.Cli.Pilot;

/// <summary>
/// Self-assessment answers for the pilot's cities. They are made up, but not uniform: each city's levels follow its IT
/// staff band and vary per practice by a hash of the city and practice, so the benchmark has real spread, quartiles
/// differ from medians, and most cities are below their targets while the largest IT departments are at theirs. The same city always answers the same way.
/// </summary>
internal static class PilotAssessments
{
    public static Assessment For(PilotCity city, int index, MaturityFramework framework)
    {
        ArgumentNullException.ThrowIfNull(city);
        ArgumentNullException.ThrowIfNull(framework);
        if (!NodeProfile.TryParseCategory(city.Category, out var category))
        {
            throw new ArgumentException($"unknown category {city.Category}", nameof(city));
        }
        var profile = new CityProfile(city.Nis2, city.Country, category, city.Population, city.ItStaff);
        var baseline = city.ItStaff switch
        {
            ItStaffBand.Under10 => 1,
            ItStaffBand.From10To50 => 2,
            ItStaffBand.From50To200 => 2,
            _ => 3,
        };
        var answers = new List<PracticeAnswer>();
        foreach (var practice in framework.Practices)
        {
            var spread = Spread(city.Slug, practice.Id, index);
            var current = Math.Clamp(baseline + spread - 1, 0, 5);
            // The largest IT departments report they are where they meant to be; the others aim two levels above their base.
            var target = city.ItStaff == ItStaffBand.Over200 ? current : Math.Clamp(Math.Max(current, baseline + 2), 0, 5);
            answers.Add(PracticeAnswer.Rated(practice.Id, current, target, $"{city.Short}: pilot self-assessment, reviewed by the CISO."));
        }
        return new Assessment(framework.Version, profile, answers);
    }

    /// <summary>0, 1 or 2, fixed for a (city, practice) pair.</summary>
    private static int Spread(string city, string practice, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{city}/{practice}/{index}"));
        return hash[0] % 3;
    }
}
