using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace I4C.Core.Maturity;

/// <summary>One step of the 0–5 capability scale.</summary>
public sealed record ScaleLevel(int Level, string Name, string Meaning);

/// <summary>A named control of another framework, e.g. ("NIST CSF 2.0", "GV.RR") or ("CIS Controls v8", "17").</summary>
public sealed record CrossReference(string Framework, string Id)
{
    public override string ToString() => $"{Framework} {Id}";
}

/// <summary>A statement a city rates on the 0–5 scale. <see cref="Id"/> is "domain-code.n", e.g. "b-incident.1".</summary>
public sealed record MaturityPractice(string Id, string DomainCode, string Text, string? Annex);

/// <summary>
/// A domain of the framework: a NIS2 article (or a point of Art. 21(2)) and its practice statements.
/// <see cref="Article"/> cites the Directive, <see cref="Annex"/> the sections of Implementing Regulation (EU) 2024/2690 Annex I
/// the practices draw on (null where the Annex has none).
/// </summary>
public sealed record MaturityDomain(
    string Code,
    string Title,
    string Article,
    string? Annex,
    string Summary,
    IReadOnlyList<CrossReference> CrossReferences,
    IReadOnlyList<MaturityPractice> Practices);

/// <summary>
/// A versioned maturity framework. The framework is data: the node ships it as an embedded JSON resource
/// (Maturity/nis2-maturity-1.json) and <see cref="TryGet"/> loads it. Domain codes and practice ids are stable within a version;
/// a change of wording that changes meaning, or any added, removed or renumbered practice, makes a new version.
/// </summary>
public sealed partial class MaturityFramework
{
    /// <summary>The version string of the framework this node ships.</summary>
    public const string Nis2V1 = "nis2-maturity/1";

    /// <summary>The levels of the scale, 0 to 5.</summary>
    public const int MinLevel = 0;
    public const int MaxLevel = 5;

    private static readonly FrozenDictionary<string, string> ResourceByVersion = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Nis2V1] = "I4C.Core.Maturity.nis2-maturity-1.json",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<MaturityFramework>> Loaded = new(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, MaturityDomain> _domains;
    private readonly FrozenDictionary<string, MaturityPractice> _practices;

    private MaturityFramework(string version, string title, string source, IReadOnlyList<ScaleLevel> scale, IReadOnlyList<MaturityDomain> domains)
    {
        Version = version;
        Title = title;
        Source = source;
        Scale = scale;
        Domains = domains;
        Practices = domains.SelectMany(d => d.Practices).ToArray();
        _domains = domains.ToFrozenDictionary(d => d.Code, StringComparer.Ordinal);
        _practices = Practices.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
    }

    /// <summary>"nis2-maturity/1".</summary>
    public string Version { get; }

    public string Title { get; }

    /// <summary>The legal sources the statements are drawn from.</summary>
    public string Source { get; }

    /// <summary>Levels 0..5, in order, each with a one-line meaning.</summary>
    public IReadOnlyList<ScaleLevel> Scale { get; }

    /// <summary>Domains in framework order (the order of the file).</summary>
    public IReadOnlyList<MaturityDomain> Domains { get; }

    /// <summary>Every practice in framework order.</summary>
    public IReadOnlyList<MaturityPractice> Practices { get; }

    /// <summary>The NIS2 framework this node ships (<see cref="Nis2V1"/>).</summary>
    public static MaturityFramework Current => TryGet(Nis2V1, out var framework) ? framework : throw new InvalidOperationException($"{Nis2V1} is not shipped");

    /// <summary>The framework versions this node knows.</summary>
    public static IReadOnlyCollection<string> KnownVersions => ResourceByVersion.Keys;

    /// <summary>Looks a shipped framework up by its version string.</summary>
    public static bool TryGet(string? version, [MaybeNullWhen(false)] out MaturityFramework framework)
    {
        if (version is null || !ResourceByVersion.ContainsKey(version))
        {
            framework = null;
            return false;
        }
        framework = Loaded.GetOrAdd(version, v => new Lazy<MaturityFramework>(() => LoadResource(v))).Value;
        return true;
    }

    /// <summary>The framework an assessment names; throws <see cref="InvalidAssessmentException"/> when this node does not ship it.</summary>
    public static MaturityFramework For(Assessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        return TryGet(assessment.FrameworkVersion, out var framework)
            ? framework
            : throw new InvalidAssessmentException([AssessmentValidator.UnknownVersion(assessment.FrameworkVersion)]);
    }

    public MaturityDomain? FindDomain(string code) => _domains.GetValueOrDefault(code);

    public MaturityPractice? FindPractice(string id) => _practices.GetValueOrDefault(id);

    public MaturityDomain DomainOf(MaturityPractice practice)
    {
        ArgumentNullException.ThrowIfNull(practice);
        return _domains[practice.DomainCode];
    }

    public override string ToString() => Version;

    private static MaturityFramework LoadResource(string version)
    {
        var name = ResourceByVersion[version];
        using var stream = typeof(MaturityFramework).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded framework resource '{name}' is missing from {typeof(MaturityFramework).Assembly.GetName().Name}; check the EmbeddedResource item in I4C.Core.csproj");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.ToArray());
    }

    /// <summary>
    /// Reads and checks a framework document. Throws <see cref="FormatException"/> naming the first structural problem:
    /// a domain code that is not lower-case kebab, a practice id that is not "code.n" numbered 1..n in order,
    /// a duplicate, an empty text, a scale that is not exactly the levels 0..5.
    /// </summary>
    internal static MaturityFramework Parse(ReadOnlySpan<byte> utf8Json)
    {
        FrameworkDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<FrameworkDocument>(utf8Json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the framework document is not valid JSON: {e.Message}", e);
        }
        if (doc is null)
        {
            throw new FormatException("the framework document is empty");
        }

        var version = Required(doc.Version, "version");
        var scale = (doc.Scale ?? []).Select(s => new ScaleLevel(s.Level, Required(s.Name, $"scale[{s.Level}].name"), Required(s.Meaning, $"scale[{s.Level}].meaning"))).ToArray();
        if (!scale.Select(s => s.Level).SequenceEqual(Enumerable.Range(MinLevel, MaxLevel - MinLevel + 1)))
        {
            throw new FormatException($"framework {version}: the scale must list the levels {MinLevel}..{MaxLevel} in order");
        }

        var domains = new List<MaturityDomain>();
        var seenCodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in doc.Domains ?? [])
        {
            var code = Required(d.Code, "domains[].code");
            if (!DomainCodePattern().IsMatch(code))
            {
                throw new FormatException($"framework {version}: domain code '{code}' is not lower-case letters, digits and '-'");
            }
            if (!seenCodes.Add(code))
            {
                throw new FormatException($"framework {version}: domain code '{code}' appears twice");
            }
            var practices = new List<MaturityPractice>();
            foreach (var p in d.Practices ?? [])
            {
                var id = Required(p.Id, $"domain {code}: practices[].id");
                var expected = $"{code}.{practices.Count + 1}";
                if (id != expected)
                {
                    throw new FormatException($"framework {version}: practice '{id}' should be '{expected}' (ids are the domain code and a number counting from 1 in file order)");
                }
                practices.Add(new MaturityPractice(id, code, Required(p.Text, $"practice {id}: text"), Optional(p.Annex)));
            }
            if (practices.Count == 0)
            {
                throw new FormatException($"framework {version}: domain '{code}' has no practices");
            }
            var refs = (d.CrossReferences ?? [])
                .Select(r => new CrossReference(Required(r.Framework, $"domain {code}: crossReferences[].framework"), Required(r.Id, $"domain {code}: crossReferences[].id")))
                .ToArray();
            domains.Add(new MaturityDomain(
                code,
                Required(d.Title, $"domain {code}: title"),
                Required(d.Article, $"domain {code}: article"),
                Optional(d.Annex),
                Required(d.Summary, $"domain {code}: summary"),
                refs,
                practices));
        }
        if (domains.Count == 0)
        {
            throw new FormatException($"framework {version}: no domains");
        }
        return new MaturityFramework(version, Required(doc.Title, "title"), Required(doc.Source, "source"), scale, domains);

        static string Required(string? value, string what) =>
            string.IsNullOrWhiteSpace(value) ? throw new FormatException($"the framework document lacks '{what}'") : value.Trim();

        static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex DomainCodePattern();

    private static readonly JsonSerializerOptions DocumentOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    // The document shape of the embedded resource; mapped to the public records above after checking.
    private sealed record FrameworkDocument(string? Version, string? Title, string? Source, List<ScaleDocument>? Scale, List<DomainDocument>? Domains);

    private sealed record ScaleDocument(int Level, string? Name, string? Meaning);

    private sealed record DomainDocument(string? Code, string? Title, string? Article, string? Annex, string? Summary, List<CrossReferenceDocument>? CrossReferences, List<PracticeDocument>? Practices);

    private sealed record CrossReferenceDocument(string? Framework, string? Id);

    private sealed record PracticeDocument(string? Id, string? Text, string? Annex);
}
