using I4C.Core.Maturity;

namespace I4C.Cli.Pilot;

/// <summary>What part a city plays in the pilot scenario.</summary>
internal enum PilotRole
{
    /// <summary>Signs the charter; publishes and receives.</summary>
    Founder,

    /// <summary>Signs the charter; receives only (its publishes are refused).</summary>
    ListenerFounder,

    /// <summary>Not a founder: asks to join once the mesh runs and is admitted by endorsement.</summary>
    Applicant,
}

/// <summary>One city of the pilot: who it is and how it answers the NIS2 self-assessment.</summary>
internal sealed record PilotCity(string Name, string Country, string Category, PilotRole Role, Nis2Status Nis2, PopulationBand Population, ItStaffBand ItStaff)
{
    /// <summary>File-system friendly name, e.g. "ghent".</summary>
    public string Slug { get; } = Name.Replace("City of ", string.Empty, StringComparison.Ordinal).ToLowerInvariant().Replace(' ', '-');

    /// <summary>Short name for tables, e.g. "Ghent".</summary>
    public string Short { get; } = Name.Replace("City of ", string.Empty, StringComparison.Ordinal);

    public bool Publishes => Role != PilotRole.ListenerFounder;
}

/// <summary>
/// The cities of a pilot of N: founders first (EU cities of different sizes), one founder that joins as a listener, and
/// a non-EU city that applies once the mesh runs. Real European cities, none of which has endorsed this software.
/// </summary>
internal static class PilotCities
{
    public const int Minimum = 5;
    public const int Maximum = 12;

    private static readonly PilotCity[] ActiveFounders =
    [
        new("City of Ghent", "BE", "eu-city", PilotRole.Founder, Nis2Status.NationalChoice, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
        new("City of Bonn", "DE", "eu-city", PilotRole.Founder, Nis2Status.Important, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
        new("City of Porto", "PT", "eu-city", PilotRole.Founder, Nis2Status.Essential, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
        new("City of Ljubljana", "SI", "eu-city", PilotRole.Founder, Nis2Status.Essential, PopulationBand.From200KTo1M, ItStaffBand.From10To50),
        new("City of Utrecht", "NL", "eu-city", PilotRole.Founder, Nis2Status.NationalChoice, PopulationBand.From200KTo1M, ItStaffBand.Over200),
        new("City of Lyon", "FR", "eu-city", PilotRole.Founder, Nis2Status.Important, PopulationBand.From200KTo1M, ItStaffBand.Over200),
        new("City of Brno", "CZ", "eu-city", PilotRole.Founder, Nis2Status.Essential, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
        new("City of Aarhus", "DK", "eu-city", PilotRole.Founder, Nis2Status.Voluntary, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
        new("City of Cork", "IE", "eu-city", PilotRole.Founder, Nis2Status.Voluntary, PopulationBand.From50KTo200K, ItStaffBand.From10To50),
        new("City of Valencia", "ES", "eu-city", PilotRole.Founder, Nis2Status.Important, PopulationBand.From200KTo1M, ItStaffBand.From50To200),
    ];

    private static readonly PilotCity Listener =
        new("City of Tampere", "FI", "eu-city", PilotRole.ListenerFounder, Nis2Status.Voluntary, PopulationBand.From200KTo1M, ItStaffBand.From10To50);

    private static readonly PilotCity Applicant =
        new("City of Oslo", "NO", "non-eu-city", PilotRole.Applicant, Nis2Status.Voluntary, PopulationBand.From200KTo1M, ItStaffBand.Over200);

    /// <summary>N cities: N−2 publishing founders, the listener founder, then the applicant.</summary>
    public static IReadOnlyList<PilotCity> For(int count)
    {
        if (count is < Minimum or > Maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a pilot has {Minimum} to {Maximum} cities");
        }
        return [.. ActiveFounders.Take(count - 2), Listener, Applicant];
    }
}
