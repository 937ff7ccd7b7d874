using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace I4C.Tests.Shared;

/// <summary>
/// The official STIX 2.1 JSON schemas (copied to the test output folder from peer-tests/Shared/stix2-json-schemas),
/// loaded from disk into a private registry: their relative $refs resolve against their $id to files loaded here,
/// so nothing is fetched. <see cref="Problems"/> validates one object (by its type's schema) or a bundle.
/// </summary>
public static class StixSchemas
{
    private static readonly Lazy<(BuildOptions Options, Dictionary<string, JsonSchema> ByName)> Loaded = new(Load);

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "stix2-json-schemas");

    private static (BuildOptions, Dictionary<string, JsonSchema>) Load()
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var files = Directory.GetFiles(Folder, "*.json", SearchOption.AllDirectories);
        if (files.Length < 50)
        {
            throw new InvalidOperationException($"the STIX schemas are missing from {Folder} ({files.Length} files)");
        }
        var byName = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        // A schema can be built only once what it references is registered: build in passes until all are in.
        var pending = files.ToList();
        while (pending.Count > 0)
        {
            var failed = new List<string>();
            Exception? last = null;
            foreach (var file in pending)
            {
                try
                {
                    var schema = JsonSchema.FromFile(file, options);
                    byName[Path.GetRelativePath(Folder, file).Replace('\\', '/')] = schema;
                }
                catch (Exception ex) when (ex is not IOException)
                {
                    failed.Add(file);
                    last = ex;
                }
            }
            if (failed.Count == pending.Count)
            {
                throw new InvalidOperationException($"cannot build {failed.Count} STIX schemas, e.g. {failed[0]}: {last?.Message}", last);
            }
            pending = failed;
        }
        return (options, byName);
    }

    /// <summary>The schema file that describes a STIX type (sdos/, observables/, sros/ or common/).</summary>
    public static string SchemaFileFor(string type)
    {
        foreach (var folder in new[] { "sdos", "observables", "sros", "common" })
        {
            var name = $"{folder}/{type}.json";
            if (Loaded.Value.ByName.ContainsKey(name))
            {
                return name;
            }
        }
        throw new ArgumentException($"no official schema for STIX type '{type}'", nameof(type));
    }

    /// <summary>Validation errors of one STIX object (or bundle) against the official schema of its type; empty when valid.</summary>
    public static IReadOnlyList<string> Problems(JsonNode stixObject)
    {
        ArgumentNullException.ThrowIfNull(stixObject);
        var type = stixObject["type"]?.GetValue<string>() ?? throw new ArgumentException("the object has no type", nameof(stixObject));
        var schema = Loaded.Value.ByName[SchemaFileFor(type)];
        using var document = JsonDocument.Parse(stixObject.ToJsonString());
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }
        var problems = new List<string>();
        foreach (var detail in result.Details ?? [])
        {
            foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
            {
                problems.Add($"{stixObject["id"]}: {detail.InstanceLocation} ({detail.EvaluationPath}, {keyword}): {message}");
            }
        }
        if (problems.Count == 0)
        {
            problems.Add($"{stixObject["id"]}: invalid against {SchemaFileFor(type)}");
        }
        return problems;
    }

    /// <summary>Asserts a bundle and each of its objects are valid (each against its own type's schema, so errors name the object).</summary>
    public static void AssertValidBundle(JsonNode bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var problems = new List<string>(Problems(bundle));
        foreach (var o in bundle["objects"]?.AsArray() ?? [])
        {
            problems.AddRange(Problems(o!));
        }
        if (problems.Count > 0)
        {
            throw new Xunit.Sdk.XunitException("STIX schema validation failed:\n" + string.Join("\n", problems.Take(40)));
        }
    }
}
