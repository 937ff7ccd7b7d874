using System.Buffers;
using System.Text.Json;

namespace I4C.Core.Maturity;

/// <summary>Thrown when ASSESSMENT payload bytes are not a readable assessment.</summary>
public sealed class AssessmentFormatException : FormatException
{
    public AssessmentFormatException()
    {
    }

    public AssessmentFormatException(string message)
        : base(message)
    {
    }

    public AssessmentFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The payload of an ASSESSMENT record: canonical JSON in UTF-8, written by <see cref="Encode"/> and read by <see cref="Decode"/>.
/// <code>
/// {"framework":"nis2-maturity/1",
///  "profile":{"nis2Status":"important","country":"DE","category":"eu-city","population":"200k-1M","itStaff":"10-50"},
///  "answers":[{"id":"gov.1","current":2,"target":3,"evidence":"…"},
///             {"id":"gov.2","notApplicable":true,"notApplicableReason":"…"}, …]}
/// </code>
/// Canonical form: no whitespace; keys in the order shown; answers in framework order; "evidence" omitted when empty;
/// an N/A answer has no levels; strings escaped by System.Text.Json's default encoder (non-ASCII as \uXXXX), so the bytes are
/// plain ASCII. Encoding the same assessment always gives the same bytes, and Encode(Decode(b)) == b for any canonical b.
/// Decoding ignores unknown keys (a later version may add some) but not unknown profile values.
/// </summary>
public static class AssessmentPayload
{
    /// <summary>The canonical bytes of a valid assessment; throws <see cref="InvalidAssessmentException"/> otherwise.</summary>
    public static byte[] Encode(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        AssessmentValidator.Validate(assessment).ThrowIfInvalid();
        var framework = MaturityFramework.For(assessment);
        var byId = assessment.Answers.ToDictionary(a => a.PracticeId, StringComparer.Ordinal);

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("framework", framework.Version);
            var p = assessment.Profile;
            w.WriteStartObject("profile");
            w.WriteString("nis2Status", CityProfile.Format(p.Nis2Status));
            w.WriteString("country", p.Country);
            w.WriteString("category", CityProfile.Format(p.Category));
            w.WriteString("population", CityProfile.Format(p.Population));
            w.WriteString("itStaff", CityProfile.Format(p.ItStaff));
            w.WriteEndObject();
            w.WriteStartArray("answers");
            foreach (var practice in framework.Practices)
            {
                var a = byId[practice.Id];
                w.WriteStartObject();
                w.WriteString("id", a.PracticeId);
                if (a.NotApplicable)
                {
                    w.WriteBoolean("notApplicable", true);
                    w.WriteString("notApplicableReason", a.NotApplicableReason!.Trim());
                }
                else
                {
                    w.WriteNumber("current", a.Current!.Value);
                    w.WriteNumber("target", a.Target!.Value);
                    if (!string.IsNullOrWhiteSpace(a.Evidence))
                    {
                        w.WriteString("evidence", a.Evidence.Trim());
                    }
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads payload bytes into an assessment. Checks the shape only (JSON, types, profile values); run
    /// <see cref="AssessmentValidator"/> on the result before using it. Throws <see cref="AssessmentFormatException"/>.
    /// </summary>
    public static Assessment Decode(ReadOnlySpan<byte> payload)
    {
        JsonAt root;
        try
        {
            root = PositionedJson.Parse(payload, lenient: false);
        }
        catch (PositionedJsonException e)
        {
            throw new AssessmentFormatException($"assessment payload at byte {e.Offset}: {e.Message}", e);
        }
        if (root is not JsonObjectAt doc)
        {
            throw Fail("the payload is not a JSON object");
        }
        var version = Str(doc, "framework") ?? throw Fail("no 'framework'");
        if (Get(doc, "profile") is not JsonObjectAt profile)
        {
            throw Fail("no 'profile' object");
        }
        var cityProfile = new CityProfile(
            Token<Nis2Status>(profile, "nis2Status", CityProfile.TryParseNis2Status),
            Str(profile, "country") ?? throw Fail("no profile.country"),
            Token<Identity.MemberCategory>(profile, "category", CityProfile.TryParseCategory),
            Token<PopulationBand>(profile, "population", CityProfile.TryParsePopulation),
            Token<ItStaffBand>(profile, "itStaff", CityProfile.TryParseItStaff));

        if (Get(doc, "answers") is not JsonArrayAt answerNodes)
        {
            throw Fail("no 'answers' array");
        }
        var answers = new List<PracticeAnswer>(answerNodes.Items.Count);
        foreach (var node in answerNodes.Items)
        {
            if (node is not JsonObjectAt a)
            {
                throw Fail("an answer is not an object");
            }
            var id = Str(a, "id") ?? throw Fail("an answer has no 'id'");
            var notApplicable = Get(a, "notApplicable") switch
            {
                null or JsonNullAt => false,
                JsonBoolAt b => b.Value,
                _ => throw Fail($"answer '{id}': 'notApplicable' is not a boolean"),
            };
            answers.Add(new PracticeAnswer(id, Level(a, "current", id), Level(a, "target", id), Str(a, "evidence"), notApplicable, Str(a, "notApplicableReason")));
        }
        return new Assessment(version, cityProfile, answers);
    }

    private static int? Level(JsonObjectAt obj, string name, string id) => Get(obj, name) switch
    {
        null or JsonNullAt => null,
        JsonNumberAt n when n.TryGetInt32(out var v) => v,
        var other => throw Fail($"answer '{id}': '{name}' is {other.TypeName}, not a whole number"),
    };

    private static T Token<T>(JsonObjectAt profile, string name, TryParse<T> parse)
    {
        var text = Str(profile, name) ?? throw Fail($"no profile.{name}");
        return parse(text, out var value) ? value : throw Fail($"profile.{name} '{text}' is not a value this node knows");
    }

    private delegate bool TryParse<T>(string? text, out T value);

    private static string? Str(JsonObjectAt obj, string name) => Get(obj, name) switch
    {
        null or JsonNullAt => null,
        JsonStringAt s => s.Value,
        var other => throw Fail($"'{name}' is {other.TypeName}, not a string"),
    };

    private static JsonAt? Get(JsonObjectAt obj, string name) => obj.Properties.FirstOrDefault(p => p.Name == name)?.Value;

    private static AssessmentFormatException Fail(string what) => new($"assessment payload: {what}");
}
