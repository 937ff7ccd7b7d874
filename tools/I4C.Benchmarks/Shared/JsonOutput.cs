using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace I4C.Benchmarks.Shared;

/// <summary>How both suites write JSON: camelCase, indented, nulls kept (a failed benchmark shows as null).</summary>
public static class JsonOutput
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Readable output ("+00:00", "÷"); the documents never go into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
