using System.Globalization;
using I4C.Core.Maturity;

namespace I4C.Core.Interop.Misp;

/// <summary>
/// Reads MISP core-format JSON: <c>{"Event": …}</c>, a bare event object, a list of either,
/// or MISP's REST wrapper <c>{"response": [ … ]}</c>. Numbers may be written as strings or
/// numbers; fields the mesh does not use are ignored. Every error names the file, the
/// 1-based line and column, and what was expected. See docs/interop.md.
/// </summary>
public static class MispEventReader
{
    /// <summary>Event keys; a bare object with none of them is not taken for an event.</summary>
    private static readonly string[] EventKeys = ["uuid", "info", "Attribute", "Object", "Tag", "date", "threat_level_id", "analysis", "distribution"];

    /// <summary>Parses every event in <paramref name="utf8"/>; <paramref name="source"/> names the file in messages.</summary>
    public static IReadOnlyList<MispEvent> Read(ReadOnlySpan<byte> utf8, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        JsonAt root;
        try
        {
            root = PositionedJson.Parse(utf8, lenient: false);
        }
        catch (PositionedJsonException ex)
        {
            var at = PositionedJson.PositionOf(utf8, ex.Offset);
            throw new MispFormatException($"{source}: line {at.Line}, column {at.Column} (byte {ex.Offset}): {ex.Message}.");
        }
        var context = new Context(source, utf8.ToArray());
        var events = new List<MispEvent>();
        switch (root)
        {
            case JsonArrayAt list:
                AddAll(list, events, context);
                break;
            case JsonObjectAt obj when Find(obj, "response") is { } response:
                if (response is JsonArrayAt responses)
                {
                    AddAll(responses, events, context);
                }
                else
                {
                    events.Add(Event(Unwrap(response, context), context, 1, single: true));
                }
                break;
            case JsonObjectAt obj:
                events.Add(Event(Unwrap(obj, context), context, 1, single: true));
                break;
            default:
                throw context.Fail(root, "expected a MISP event: {\"Event\": {…}}, an event object or a list of events, found " + root.TypeName);
        }
        if (events.Count == 0)
        {
            throw context.Fail(root, "the file holds no MISP event");
        }
        return events;
    }

    private static void AddAll(JsonArrayAt list, List<MispEvent> events, Context context)
    {
        for (var i = 0; i < list.Items.Count; i++)
        {
            events.Add(Event(Unwrap(list.Items[i], context), context, i + 1, single: false));
        }
    }

    private static JsonObjectAt Unwrap(JsonAt value, Context context)
    {
        if (value is not JsonObjectAt obj)
        {
            throw context.Fail(value, "expected a MISP event object, found " + value.TypeName);
        }
        if (Find(obj, "Event") is { } inner)
        {
            return inner as JsonObjectAt ?? throw context.Fail(inner, "\"Event\" must be an object, found " + inner.TypeName);
        }
        if (!obj.Properties.Any(p => EventKeys.Contains(p.Name, StringComparer.Ordinal)))
        {
            throw context.Fail(obj, "not a MISP event: expected {\"Event\": {…}} or an object with info, uuid, Attribute, Object or Tag");
        }
        return obj;
    }

    private static MispEvent Event(JsonObjectAt e, Context context, int index, bool single)
    {
        var where = single ? context.Source : $"{context.Source}, event {index}";
        var attributes = new List<MispAttribute>();
        foreach (var (item, i) in Items(e, "Attribute", context))
        {
            attributes.Add(Attribute(item, $"Attribute {i + 1}", context));
        }
        var objects = new List<MispObject>();
        foreach (var (item, i) in Items(e, "Object", context))
        {
            var objectAttributes = new List<MispAttribute>();
            var name = Text(item, "name", context) ?? string.Empty;
            foreach (var (attribute, j) in Items(item, "Attribute", context))
            {
                objectAttributes.Add(Attribute(attribute, $"Object {i + 1} ({name}) attribute {j + 1}", context));
            }
            objects.Add(new MispObject(
                $"Object {i + 1}",
                Text(item, "uuid", context),
                name,
                Text(item, "meta-category", context) ?? string.Empty,
                Integer(item, "distribution", context),
                Flag(item, "deleted", context) ?? false,
                objectAttributes));
        }
        var reports = new List<string>();
        foreach (var (item, _) in Items(e, "EventReport", context))
        {
            if (Flag(item, "deleted", context) != true && Text(item, "content", context) is { Length: > 0 } content)
            {
                reports.Add(content);
            }
        }
        return new MispEvent(
            where,
            Text(e, "uuid", context),
            Text(e, "info", context) ?? string.Empty,
            Text(e, "date", context) ?? string.Empty,
            Integer(e, "threat_level_id", context),
            Integer(e, "analysis", context),
            Integer(e, "distribution", context),
            Integer64(e, "timestamp", context) ?? 0,
            Tags(e, context),
            attributes,
            objects,
            reports);
    }

    private static MispAttribute Attribute(JsonObjectAt a, string where, Context context) => new(
        where,
        Text(a, "uuid", context),
        Text(a, "type", context) ?? throw context.Fail(a, where + ": the attribute has no \"type\""),
        Text(a, "category", context) ?? string.Empty,
        Text(a, "value", context) ?? throw context.Fail(a, where + ": the attribute has no \"value\""),
        Flag(a, "to_ids", context) ?? false,
        Text(a, "comment", context) ?? string.Empty,
        Seen(a, "first_seen", context),
        Seen(a, "last_seen", context),
        Integer(a, "distribution", context),
        Flag(a, "deleted", context) ?? false,
        Tags(a, context),
        Text(a, "object_relation", context) ?? string.Empty);

    private static IEnumerable<(JsonObjectAt Item, int Index)> Items(JsonObjectAt parent, string name, Context context)
    {
        var value = Find(parent, name);
        if (value is null or JsonNullAt)
        {
            yield break;
        }
        if (value is not JsonArrayAt list)
        {
            throw context.Fail(value, $"\"{name}\" must be a list, found {value.TypeName}");
        }
        for (var i = 0; i < list.Items.Count; i++)
        {
            yield return (list.Items[i] as JsonObjectAt ?? throw context.Fail(list.Items[i], $"each \"{name}\" entry must be an object, found {list.Items[i].TypeName}"), i);
        }
    }

    private static List<string> Tags(JsonObjectAt parent, Context context)
    {
        var tags = new List<string>();
        var value = Find(parent, "Tag");
        if (value is null or JsonNullAt)
        {
            return tags;
        }
        if (value is not JsonArrayAt list)
        {
            throw context.Fail(value, $"\"Tag\" must be a list, found {value.TypeName}");
        }
        foreach (var item in list.Items)
        {
            var name = item switch
            {
                JsonStringAt s => s.Value,
                JsonObjectAt o => Text(o, "name", context) ?? throw context.Fail(o, "a tag has no \"name\""),
                _ => throw context.Fail(item, $"a tag must be an object with a \"name\", found {item.TypeName}"),
            };
            if (!string.IsNullOrWhiteSpace(name))
            {
                tags.Add(name.Trim());
            }
        }
        return tags;
    }

    private static string? Text(JsonObjectAt parent, string name, Context context) => Find(parent, name) switch
    {
        null or JsonNullAt => null,
        JsonStringAt s => s.Value,
        JsonNumberAt n => n.Raw,
        JsonBoolAt b => b.Value ? "true" : "false",
        var other => throw context.Fail(other, $"\"{name}\" must be text, found {other.TypeName}"),
    };

    private static long? Integer64(JsonObjectAt parent, string name, Context context)
    {
        var value = Find(parent, name);
        var text = value switch
        {
            null or JsonNullAt => null,
            JsonStringAt s => s.Value.Trim(),
            JsonNumberAt n => n.Raw,
            _ => throw context.Fail(value, $"\"{name}\" must be a whole number (or one written as a string), found {value.TypeName}"),
        };
        if (text is null || text.Length == 0)
        {
            return null;
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw context.Fail(value!, $"\"{name}\" must be a whole number, found {value!.TypeName}");
    }

    private static int? Integer(JsonObjectAt parent, string name, Context context)
    {
        var number = Integer64(parent, name, context);
        return number is null ? null
            : number is >= int.MinValue and <= int.MaxValue ? (int)number
            : throw context.Fail(Find(parent, name)!, $"\"{name}\" is out of range");
    }

    private static bool? Flag(JsonObjectAt parent, string name, Context context)
    {
        var value = Find(parent, name);
        return value switch
        {
            null or JsonNullAt => null,
            JsonBoolAt b => b.Value,
            JsonNumberAt { Raw: "0" } or JsonStringAt { Value: "0" or "false" or "False" or "" } => false,
            JsonNumberAt { Raw: "1" } or JsonStringAt { Value: "1" or "true" or "True" } => true,
            _ => throw context.Fail(value, $"\"{name}\" must be true or false (or 1/0), found {value.TypeName}"),
        };
    }

    /// <summary>first_seen / last_seen: MISP writes ISO 8601 text (microseconds, offset) or null; a number is taken as Unix seconds.</summary>
    private static long Seen(JsonObjectAt parent, string name, Context context)
    {
        var value = Find(parent, name);
        switch (value)
        {
            case null or JsonNullAt or JsonStringAt { Value: "" }:
                return 0;
            case JsonNumberAt n when long.TryParse(n.Raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253402300800:
                return seconds * 1000;
            case JsonStringAt s when DateTimeOffset.TryParse(s.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at):
                return at.ToUnixTimeMilliseconds();
            default:
                throw context.Fail(value, $"\"{name}\" must be an ISO 8601 date and time, found {value.TypeName}");
        }
    }

    private static JsonAt? Find(JsonObjectAt obj, string name)
    {
        foreach (var property in obj.Properties)
        {
            if (string.Equals(property.Name, name, StringComparison.Ordinal))
            {
                return property.Value;
            }
        }
        return null;
    }

    private sealed class Context(string source, byte[] utf8)
    {
        public string Source { get; } = source;

        public MispFormatException Fail(JsonAt at, string message)
        {
            var position = PositionedJson.PositionOf(utf8, at.Offset);
            return new MispFormatException($"{Source}: line {position.Line}, column {position.Column} (byte {at.Offset}): {message}.");
        }
    }
}
