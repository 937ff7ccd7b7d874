using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace I4C.Core.Maturity;

/// <summary>The outcome of reading an answers file: the assessment when it has no errors, and every problem found (errors and warnings).</summary>
public sealed record AnswersParseResult(Assessment? Assessment, IReadOnlyList<AssessmentProblem> Problems)
{
    public bool IsValid => Assessment is not null;

    public IEnumerable<AssessmentProblem> Errors => Problems.Where(p => p.IsError);

    public IEnumerable<AssessmentProblem> Warnings => Problems.Where(p => !p.IsError);
}

/// <summary>
/// The answers file a city fills in by hand: <c>i4c assess template</c> prints it, <c>i4c assess --from answers.json</c> reads it.
/// Format "i4c-assessment-answers/1" (see README.md in this folder):
/// <code>
/// {
///   "format": "i4c-assessment-answers/1",
///   "framework": "nis2-maturity/1",
///   "instructions": [ "…" ],                       // read-only help
///   "scale": [ "0 = Not performed: …", … ],          // read-only help
///   "profile": {
///     "nis2Status": null, "country": null, "category": null, "population": null, "itStaff": null,
///     "allowed": { "nis2Status": [ … ], … }          // read-only help
///   },
///   "domains": [
///     { "code": "gov", "title": "…", "article": "Art. 20",          // read-only help
///       "practices": [
///         { "id": "gov.1", "text": "…",                             // text is read-only help
///           "current": null, "target": null, "evidence": "",
///           "notApplicable": false, "notApplicableReason": "" } ] } ]
/// }
/// </code>
/// Reading allows comments and trailing commas, ignores the read-only keys, and refuses any other unknown key (a typo such as
/// "curent" must not silently drop an answer). Every problem carries the line and column it refers to.
/// </summary>
public static class AnswersFile
{
    public const string FormatVersion = "i4c-assessment-answers/1";

    private static readonly string[] RootKeys = ["format", "framework", "instructions", "scale", "profile", "domains"];
    private static readonly string[] ProfileKeys = ["nis2Status", "country", "category", "population", "itStaff", "allowed"];
    private static readonly string[] DomainKeys = ["code", "title", "article", "annex", "summary", "practices"];
    private static readonly string[] PracticeKeys = ["id", "text", "current", "target", "evidence", "notApplicable", "notApplicableReason"];

    /// <summary>An empty answers file for the framework: every practice with its text, no answers, the profile's allowed values.</summary>
    public static string Template(MaturityFramework framework) => Render(framework, null);

    /// <summary>
    /// The answers file for the framework, pre-filled from <paramref name="answers"/> when given (e.g. to revise the last
    /// assessment). UTF-8 text, two-space indent, LF line ends, ending in a newline.
    /// </summary>
    public static string Render(MaturityFramework framework, Assessment? answers)
    {
        ArgumentNullException.ThrowIfNull(framework);
        if (answers is not null && answers.FrameworkVersion != framework.Version)
        {
            throw new ArgumentException($"the answers are for {answers.FrameworkVersion}, the framework is {framework.Version}", nameof(answers));
        }
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatVersion);
            w.WriteString("framework", framework.Version);
            w.WriteStartArray("instructions");
            foreach (var line in Instructions)
            {
                w.WriteStringValue(line);
            }
            w.WriteEndArray();
            w.WriteStartArray("scale");
            foreach (var level in framework.Scale)
            {
                w.WriteStringValue($"{level.Level} = {level.Name}: {level.Meaning}");
            }
            w.WriteEndArray();

            var profile = answers?.Profile;
            w.WriteStartObject("profile");
            WriteNullableString(w, "nis2Status", profile is null ? null : CityProfile.Format(profile.Nis2Status));
            WriteNullableString(w, "country", profile?.Country);
            WriteNullableString(w, "category", profile is null ? null : CityProfile.Format(profile.Category));
            WriteNullableString(w, "population", profile is null ? null : CityProfile.Format(profile.Population));
            WriteNullableString(w, "itStaff", profile is null ? null : CityProfile.Format(profile.ItStaff));
            w.WriteStartObject("allowed");
            WriteList(w, "nis2Status", CityProfile.Nis2StatusTokens);
            w.WriteString("country", "ISO 3166-1 alpha-2 code, two capital letters, e.g. DE");
            WriteList(w, "category", CityProfile.CategoryTokens);
            WriteList(w, "population", CityProfile.PopulationTokens);
            WriteList(w, "itStaff", CityProfile.ItStaffTokens);
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartArray("domains");
            foreach (var domain in framework.Domains)
            {
                w.WriteStartObject();
                w.WriteString("code", domain.Code);
                w.WriteString("title", domain.Title);
                w.WriteString("article", "NIS2 " + domain.Article);
                w.WriteStartArray("practices");
                foreach (var practice in domain.Practices)
                {
                    var answer = answers?.AnswerFor(practice.Id);
                    w.WriteStartObject();
                    w.WriteString("id", practice.Id);
                    w.WriteString("text", practice.Text);
                    WriteNullableNumber(w, "current", answer?.Current);
                    WriteNullableNumber(w, "target", answer?.Target);
                    w.WriteString("evidence", answer?.Evidence ?? string.Empty);
                    w.WriteBoolean("notApplicable", answer?.NotApplicable ?? false);
                    w.WriteString("notApplicableReason", answer?.NotApplicableReason ?? string.Empty);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static readonly string[] Instructions =
    [
        "Fill in the profile (the allowed values are under profile.allowed) and answer every practice.",
        "An answer is a current level and a target level, whole numbers from 0 to 5 (see scale), and optionally an evidence note: what shows the level.",
        "A practice that does not apply to the city: set notApplicable to true, say why in notApplicableReason, and leave current and target null.",
        "A target below the current level is accepted with a warning.",
        "instructions, scale, profile.allowed, code, title, article and text are for reading only and are ignored when the file is read.",
        "Then run: i4c assess --from <this file>",
    ];

    public static AnswersParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Reads an answers file (UTF-8, with or without a byte-order mark) and validates the assessment it holds.</summary>
    public static AnswersParseResult Parse(ReadOnlySpan<byte> utf8) => new Reader(utf8.ToArray()).Run();

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private delegate bool TokenParser<T>(string? text, out T value);

    private sealed class Reader(byte[] utf8)
    {
        private const string ProfileKey = "";
        private const string AnyField = "*";

        private readonly List<AssessmentProblem> _problems = [];
        private readonly Dictionary<(string Id, string Field), int> _offsets = [];
        private readonly HashSet<(string Id, string Field)> _faults = [];

        public AnswersParseResult Run()
        {
            JsonAt root;
            try
            {
                root = PositionedJson.Parse(utf8, lenient: true);
            }
            catch (PositionedJsonException e)
            {
                Malformed(e.Message, e.Offset);
                return Finish(null);
            }
            if (root is not JsonObjectAt doc)
            {
                Malformed($"the answers file must be a JSON object, not {root.TypeName}", root.Offset);
                return Finish(null);
            }
            CheckKeys(doc, "the answers file", RootKeys);

            if (Get(doc, "format") is { } format && format is not JsonStringAt { Value: FormatVersion })
            {
                Malformed($"'format' is {format.TypeName}; this node reads \"{FormatVersion}\" (start from 'i4c assess template')", format.Offset);
            }
            var frameworkNode = Get(doc, "framework");
            var version = (frameworkNode as JsonStringAt)?.Value;
            if (!MaturityFramework.TryGet(version, out var framework))
            {
                _problems.Add(AssessmentValidator.UnknownVersion(version ?? frameworkNode?.TypeName ?? "(missing)") with
                {
                    Position = Position(frameworkNode?.Offset ?? doc.Offset),
                });
                return Finish(null);
            }
            _offsets[(ProfileKey, "framework")] = frameworkNode!.Offset;

            var profile = ReadProfile(Get(doc, "profile"), doc);
            var answers = ReadDomains(Get(doc, "domains"), doc);

            // Validate what could be read, with a stand-in profile if the profile itself was faulty (already reported).
            var assessment = new Assessment(framework.Version, profile ?? new CityProfile(Nis2Status.Voluntary, "XX", Identity.MemberCategory.Other, PopulationBand.Under50K, ItStaffBand.Under10), answers);
            foreach (var problem in AssessmentValidator.Validate(assessment, framework).Problems)
            {
                if (Placed(problem) is { } placed)
                {
                    _problems.Add(placed);
                }
            }
            return Finish(profile is null ? null : assessment);
        }

        private AnswersParseResult Finish(Assessment? assessment)
        {
            var ordered = _problems
                .Select((p, i) => (p, i))
                .OrderBy(x => x.p.Position is null ? 1 : 0)
                .ThenBy(x => x.p.Position?.Line ?? 0)
                .ThenBy(x => x.p.Position?.Column ?? 0)
                .ThenBy(x => x.i)
                .Select(x => x.p)
                .ToArray();
            return new AnswersParseResult(ordered.Any(p => p.IsError) ? null : assessment, ordered);
        }

        // Gives a validator problem its position, or drops it when the parser already reported the same spot as malformed.
        private AssessmentProblem? Placed(AssessmentProblem problem)
        {
            if (problem.Kind == AssessmentProblemKind.MissingAnswers)
            {
                var ids = problem.PracticeIds.Where(id => !_faults.Any(f => f.Id == id)).ToArray();
                return ids.Length == 0 ? null : AssessmentValidator.MissingAnswers(ids);
            }
            if (problem.PracticeId is { } id)
            {
                if (problem.Kind is AssessmentProblemKind.MissingCurrent or AssessmentProblemKind.MissingTarget or AssessmentProblemKind.NotApplicableWithoutReason
                    && _faults.Contains((id, problem.Field!)))
                {
                    return null;
                }
                var offset = _offsets.TryGetValue((id, problem.Field ?? AnyField), out var o) ? o : _offsets.GetValueOrDefault((id, AnyField), -1);
                return offset < 0 ? problem : problem with { Position = Position(offset) };
            }
            if (problem.Field is { } field && _offsets.TryGetValue((ProfileKey, field), out var fieldOffset))
            {
                return problem with { Position = Position(fieldOffset) };
            }
            return problem;
        }

        private CityProfile? ReadProfile(JsonAt? node, JsonObjectAt doc)
        {
            if (node is not JsonObjectAt profile)
            {
                Problem(AssessmentProblemKind.InvalidProfile, node is null ? "the answers file has no 'profile' object" : $"'profile' must be an object, not {node.TypeName}", (node ?? doc).Offset);
                return null;
            }
            _offsets[(ProfileKey, "profile")] = profile.Offset;
            CheckKeys(profile, "profile", ProfileKeys);
            var status = Token<Nis2Status>(profile, "nis2Status", CityProfile.Nis2StatusTokens, CityProfile.TryParseNis2Status);
            var category = Token<Identity.MemberCategory>(profile, "category", CityProfile.CategoryTokens, CityProfile.TryParseCategory);
            var population = Token<PopulationBand>(profile, "population", CityProfile.PopulationTokens, CityProfile.TryParsePopulation);
            var itStaff = Token<ItStaffBand>(profile, "itStaff", CityProfile.ItStaffTokens, CityProfile.TryParseItStaff);

            string? country = null;
            var countryNode = Get(profile, "country");
            _offsets[(ProfileKey, "profile.country")] = (countryNode ?? profile).Offset;
            var countryText = Text(countryNode, "profile.country", ProfileKey, "country")?.ToUpperInvariant();
            if (countryText is null)
            {
                if (!_faults.Contains((ProfileKey, "country")))
                {
                    Problem(AssessmentProblemKind.InvalidProfile, "profile.country is empty; give the ISO 3166-1 alpha-2 code, e.g. DE", (countryNode ?? profile).Offset);
                }
            }
            else if (!CityProfile.IsCountryCode(countryText))
            {
                Problem(AssessmentProblemKind.InvalidProfile, $"profile.country '{countryText}' is not an ISO 3166-1 alpha-2 code (two letters, e.g. DE)", countryNode!.Offset);
            }
            else
            {
                country = countryText;
            }
            return status is { } s && country is not null && category is { } c && population is { } p && itStaff is { } i
                ? new CityProfile(s, country, c, p, i)
                : null;
        }

        private T? Token<T>(JsonObjectAt profile, string name, IReadOnlyList<string> allowed, TokenParser<T> parse)
            where T : struct
        {
            var node = Get(profile, name);
            var offset = (node ?? profile).Offset;
            _offsets[(ProfileKey, "profile." + name)] = offset;
            var text = Text(node, "profile." + name, ProfileKey, name);
            if (text is null)
            {
                if (!_faults.Contains((ProfileKey, name)))
                {
                    Problem(AssessmentProblemKind.InvalidProfile, $"profile.{name} is empty; allowed values: {string.Join(", ", allowed)}", offset);
                }
                return null;
            }
            if (!parse(text, out var value))
            {
                Problem(AssessmentProblemKind.InvalidProfile, $"profile.{name} '{text}' is not allowed; allowed values: {string.Join(", ", allowed)}", offset);
                return null;
            }
            return value;
        }

        private List<PracticeAnswer> ReadDomains(JsonAt? node, JsonObjectAt doc)
        {
            var answers = new List<PracticeAnswer>();
            if (node is not JsonArrayAt domains)
            {
                Malformed(node is null ? "the answers file has no 'domains' array; start from 'i4c assess template'" : $"'domains' must be an array, not {node.TypeName}", (node ?? doc).Offset);
                return answers;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var d = 0; d < domains.Items.Count; d++)
            {
                if (domains.Items[d] is not JsonObjectAt domain)
                {
                    Malformed($"domains[{d}] must be an object, not {domains.Items[d].TypeName}", domains.Items[d].Offset);
                    continue;
                }
                CheckKeys(domain, $"domains[{d}]", DomainKeys);
                var practicesNode = Get(domain, "practices");
                if (practicesNode is not JsonArrayAt practices)
                {
                    Malformed($"domains[{d}] has no 'practices' array", (practicesNode ?? domain).Offset);
                    continue;
                }
                for (var p = 0; p < practices.Items.Count; p++)
                {
                    if (ReadPractice(practices.Items[p], $"domains[{d}].practices[{p}]", seen) is { } answer)
                    {
                        answers.Add(answer);
                    }
                }
            }
            return answers;
        }

        private PracticeAnswer? ReadPractice(JsonAt node, string where, HashSet<string> seen)
        {
            if (node is not JsonObjectAt entry)
            {
                Malformed($"{where} must be an object, not {node.TypeName}", node.Offset);
                return null;
            }
            var idNode = Get(entry, "id");
            if (idNode is not JsonStringAt { Value: var rawId } || string.IsNullOrWhiteSpace(rawId))
            {
                Malformed($"{where} has no 'id' (a practice id such as \"gov.1\")", (idNode ?? entry).Offset);
                return null;
            }
            var id = rawId.Trim();
            CheckKeys(entry, $"practice '{id}'", PracticeKeys);
            if (!seen.Add(id))
            {
                Problem(AssessmentProblemKind.DuplicatePractice, $"practice '{id}' is answered more than once; keep one answer", idNode.Offset, id, "id");
                return null;
            }
            _offsets[(id, AnyField)] = entry.Offset;
            _offsets[(id, "id")] = idNode.Offset;
            foreach (var property in entry.Properties)
            {
                _offsets.TryAdd((id, property.Name), property.Value.Offset);
            }

            return new PracticeAnswer(
                id,
                Level(Get(entry, "current"), id, "current"),
                Level(Get(entry, "target"), id, "target"),
                Text(Get(entry, "evidence"), $"practice '{id}': 'evidence'", id, "evidence"),
                Flag(Get(entry, "notApplicable"), id),
                Text(Get(entry, "notApplicableReason"), $"practice '{id}': 'notApplicableReason'", id, "notApplicableReason"));
        }

        private int? Level(JsonAt? node, string id, string field)
        {
            switch (node)
            {
                case null or JsonNullAt or JsonStringAt { Value: "" }:
                    return null;
                case JsonNumberAt number when number.TryGetInt32(out var level):
                    return level;
                default:
                    Fault(id, field, $"practice '{id}': '{field}' must be a whole number from 0 to 5 (no quotes), or null; found {node.TypeName}", node.Offset);
                    return null;
            }
        }

        private bool Flag(JsonAt? node, string id)
        {
            switch (node)
            {
                case null or JsonNullAt:
                    return false;
                case JsonBoolAt flag:
                    return flag.Value;
                default:
                    Fault(id, "notApplicable", $"practice '{id}': 'notApplicable' must be true or false; found {node.TypeName}", node.Offset);
                    return false;
            }
        }

        // A trimmed string, or null when absent, null or blank. Another type is a fault.
        private string? Text(JsonAt? node, string what, string id, string field)
        {
            switch (node)
            {
                case null or JsonNullAt:
                    return null;
                case JsonStringAt s:
                    return string.IsNullOrWhiteSpace(s.Value) ? null : s.Value.Trim();
                default:
                    Fault(id, field, $"{what} must be a string; found {node.TypeName}", node.Offset);
                    return null;
            }
        }

        private void CheckKeys(JsonObjectAt obj, string where, string[] known)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in obj.Properties)
            {
                if (!names.Add(property.Name))
                {
                    Malformed($"{where}: property '{property.Name}' appears twice", property.NameOffset);
                }
                else if (!known.Contains(property.Name, StringComparer.Ordinal))
                {
                    Malformed($"{where}: unknown property '{property.Name}' (known: {string.Join(", ", known)})", property.NameOffset);
                }
            }
        }

        private static JsonAt? Get(JsonObjectAt obj, string name) =>
            obj.Properties.FirstOrDefault(p => p.Name == name)?.Value;

        private void Fault(string id, string field, string message, int offset)
        {
            _faults.Add((id, field));
            Problem(AssessmentProblemKind.Malformed, message, offset, id.Length > 0 ? id : null, field);
        }

        private void Malformed(string message, int offset) => Problem(AssessmentProblemKind.Malformed, message, offset);

        private void Problem(AssessmentProblemKind kind, string message, int offset, string? practiceId = null, string? field = null) =>
            _problems.Add(AssessmentProblem.Error(kind, message, practiceId, field) with { Position = Position(offset) });

        private TextPosition Position(int offset) => PositionedJson.PositionOf(utf8, offset);
    }
}
