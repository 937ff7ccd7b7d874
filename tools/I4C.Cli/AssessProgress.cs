using System.Text.Json;
using System.Text.Json.Nodes;
using I4C.Core.Maturity;
using I4C.Storage;

namespace I4C.Cli;

/// <summary>
/// The answers of an interactive `i4c assess` that is not finished yet, kept in the data directory as
/// <c>assess-progress.json</c> (mode 0600, written atomically after every answer) so that the next run continues where the
/// last one stopped. Format "i4c-assessment-progress/1":
/// <code>
/// {"format":"i4c-assessment-progress/1","framework":"nis2-maturity/1",
///  "profile":{"nis2Status":"important","country":"DE","category":null,…},
///  "answers":[{"id":"gov.1","current":2,"target":3,"evidence":"…"},{"id":"gov.2","notApplicable":true,"notApplicableReason":"…"}]}
/// </code>
/// It holds the city's answers before they are published: owner-only like the node's keys.
/// </summary>
internal sealed class AssessProgress
{
    public const string FileName = "assess-progress.json";
    public const string Format = "i4c-assessment-progress/1";

    private static readonly string[] ProfileFields = ["nis2Status", "country", "category", "population", "itStaff"];

    private AssessProgress(string path, MaturityFramework framework)
    {
        Path = path;
        Framework = framework;
    }

    public string Path { get; }

    public MaturityFramework Framework { get; }

    /// <summary>Profile tokens by field (nis2Status, country, category, population, itStaff); a missing key is unanswered.</summary>
    public Dictionary<string, string> Profile { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers by practice id, in the order given.</summary>
    public Dictionary<string, PracticeAnswer> Answers { get; } = new(StringComparer.Ordinal);

    public static string PathIn(DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return System.IO.Path.Combine(data.Root, FileName);
    }

    /// <summary>A fresh progress for the framework, not yet saved.</summary>
    public static AssessProgress New(string path, MaturityFramework framework) => new(path, framework);

    /// <summary>The saved progress, or null when there is none. Throws <see cref="CliException"/> for a damaged file, <see cref="DataDirectoryException"/> for one others can read.</summary>
    public static AssessProgress? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        SecureFile.RequireOwnerOnly(path);
        string Damaged(string what) => $"{path} is damaged ({what}); delete it to start the questionnaire over.";
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new CliException(ExitCodes.Usage, Damaged("not a JSON object"));
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, Damaged(ex.Message));
        }
        if (root["format"]?.GetValueKind() != JsonValueKind.String || root["format"]!.GetValue<string>() != Format)
        {
            throw new CliException(ExitCodes.Usage, Damaged($"its format is not {Format}"));
        }
        var version = root["framework"]?.GetValueKind() == JsonValueKind.String ? root["framework"]!.GetValue<string>() : null;
        if (!MaturityFramework.TryGet(version, out var framework))
        {
            throw new CliException(ExitCodes.Usage, $"{path} holds answers to framework '{version}', which this version of i4c does not ship; delete it to start over.");
        }
        var progress = new AssessProgress(path, framework);
        try
        {
            if (root["profile"] is JsonObject profile)
            {
                foreach (var field in ProfileFields)
                {
                    if (profile[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        progress.Profile[field] = value.GetValue<string>();
                    }
                }
            }
            foreach (var item in root["answers"] as JsonArray ?? [])
            {
                if (item is not JsonObject a || a["id"]?.GetValue<string>() is not { } id || framework.FindPractice(id) is null)
                {
                    throw new CliException(ExitCodes.Usage, Damaged("an answer names no practice of " + framework.Version));
                }
                progress.Answers[id] = new PracticeAnswer(
                    id,
                    a["current"]?.GetValue<int>(),
                    a["target"]?.GetValue<int>(),
                    a["evidence"]?.GetValue<string>(),
                    a["notApplicable"]?.GetValue<bool>() ?? false,
                    a["notApplicableReason"]?.GetValue<string>());
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new CliException(ExitCodes.Usage, Damaged(ex.Message));
        }
        return progress;
    }

    /// <summary>Writes the progress atomically, owner-only.</summary>
    public void Save()
    {
        var profile = new JsonObject();
        foreach (var field in ProfileFields)
        {
            profile[field] = Profile.TryGetValue(field, out var value) ? value : null;
        }
        var answers = new JsonArray();
        foreach (var a in Answers.Values)
        {
            var item = new JsonObject { ["id"] = a.PracticeId };
            if (a.NotApplicable)
            {
                item["notApplicable"] = true;
                item["notApplicableReason"] = a.NotApplicableReason;
            }
            else
            {
                item["current"] = a.Current;
                item["target"] = a.Target;
                if (!string.IsNullOrEmpty(a.Evidence))
                {
                    item["evidence"] = a.Evidence;
                }
            }
            answers.Add(item);
        }
        var root = new JsonObject
        {
            ["format"] = Format,
            ["framework"] = Framework.Version,
            ["profile"] = profile,
            ["answers"] = answers,
        };
        SecureFile.WriteAllText(Path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public void Delete() => File.Delete(Path);

    public int Answered => Framework.Practices.Count(p => Answers.ContainsKey(p.Id));

    /// <summary>The assessment, once the profile and every practice are answered; null before.</summary>
    public Assessment? ToAssessment()
    {
        if (!CityProfile.TryParseNis2Status(Get("nis2Status"), out var status)
            || Get("country") is not { } country || !CityProfile.IsCountryCode(country)
            || !CityProfile.TryParseCategory(Get("category"), out var category)
            || !CityProfile.TryParsePopulation(Get("population"), out var population)
            || !CityProfile.TryParseItStaff(Get("itStaff"), out var itStaff)
            || Answered < Framework.Practices.Count)
        {
            return null;
        }
        return new Assessment(
            Framework.Version,
            new CityProfile(status, country, category, population, itStaff),
            Framework.Practices.Select(p => Answers[p.Id]).ToArray());
    }

    private string? Get(string field) => Profile.GetValueOrDefault(field);
}
