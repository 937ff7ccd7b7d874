using I4C.Core.Identity;
using I4C.Core.Maturity;

namespace I4C.Core.Tests.Maturity;

/// <summary>Builds assessments for the maturity tests: everything answered, then adjusted per practice or domain.</summary>
internal static class MaturityTestData
{
    public static MaturityFramework Framework => MaturityFramework.Current;

    public static CityProfile Profile(
        string country = "DE",
        MemberCategory category = MemberCategory.EuCity,
        Nis2Status status = Nis2Status.Important,
        PopulationBand population = PopulationBand.From200KTo1M,
        ItStaffBand itStaff = ItStaffBand.From10To50) =>
        new(status, country, category, population, itStaff);

    /// <summary>Every practice rated current/target.</summary>
    public static Assessment Uniform(int current, int target, CityProfile? profile = null) =>
        new(MaturityFramework.Nis2V1, profile ?? Profile(), Framework.Practices.Select(p => PracticeAnswer.Rated(p.Id, current, target)).ToArray());

    /// <summary>The same assessment with some answers replaced (matched by practice id).</summary>
    public static Assessment With(this Assessment assessment, params PracticeAnswer[] replacements)
    {
        var byId = replacements.ToDictionary(r => r.PracticeId);
        return assessment with { Answers = assessment.Answers.Select(a => byId.GetValueOrDefault(a.PracticeId, a)).ToArray() };
    }

    /// <summary>The same assessment with every practice of a domain rated current/target.</summary>
    public static Assessment WithDomain(this Assessment assessment, string domain, int current, int target) =>
        assessment.With(Framework.FindDomain(domain)!.Practices.Select(p => PracticeAnswer.Rated(p.Id, current, target)).ToArray());

    /// <summary>The same assessment with every practice of a domain N/A.</summary>
    public static Assessment WithDomainNotApplicable(this Assessment assessment, string domain) =>
        assessment.With(Framework.FindDomain(domain)!.Practices.Select(p => PracticeAnswer.NotApplicableBecause(p.Id, "no such service")).ToArray());

    public static Assessment Without(this Assessment assessment, params string[] practiceIds) =>
        assessment with { Answers = assessment.Answers.Where(a => !practiceIds.Contains(a.PracticeId)).ToArray() };
}
