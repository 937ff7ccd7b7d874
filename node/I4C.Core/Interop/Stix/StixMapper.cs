using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using I4C.Protocol.V1;

namespace I4C.Core.Interop.Stix;

/// <summary>One record to export: its id (hex), author, kind, label, creation time, when this node stored it, and its decoded payload.</summary>
public sealed record StixSourceRecord(string Id, string Author, RecordKind Kind, Tlp Tlp, long CreatedUnixMs, long AddedUnixMs, IMessage Payload);

/// <summary>What the mesh knows of an authoring city (from its member card): node id, display name, country, category, card time.</summary>
public sealed record StixAuthor(string NodeId, string Name, string Country, string Category, long CreatedUnixMs);

/// <summary>One STIX object with what a TAXII collection needs: id, type, version (modified) and the date it was added.</summary>
public sealed record StixEntry(string Id, string Type, JsonObject Object, string Version, long AddedUnixMs, Tlp Tlp);

/// <summary>The objects of an export, with counts; <see cref="Unsupported"/> counts indicators left out, by type.</summary>
public sealed record StixExport(IReadOnlyList<StixEntry> Objects, int Reports, int Indicators, IReadOnlyDictionary<string, int> Unsupported)
{
    /// <summary>The highest label among the exported records, or null when nothing was exported.</summary>
    public Tlp? Highest { get; init; }

    /// <summary>The objects as a STIX 2.1 bundle; its id is derived from the objects, so the same export gives the same bundle.</summary>
    public JsonObject Bundle()
    {
        var name = new StringBuilder("bundle");
        var objects = new JsonArray();
        foreach (var entry in Objects)
        {
            name.Append('|').Append(entry.Id).Append('@').Append(entry.Version);
            objects.Add(entry.Object.DeepClone());
        }
        var bundle = new JsonObject { ["type"] = "bundle", ["id"] = StixIds.For("bundle", name.ToString()) };
        if (objects.Count > 0)
        {
            bundle["objects"] = objects; // the schema wants at least one object, or none at all
        }
        return bundle;
    }

    public string BundleJson() => Bundle().ToJsonString(StixMapper.JsonOptions);
}

/// <summary>
/// Maps advisories, incidents and practices to STIX 2.1 (docs/interop.md, "STIX 2.1 and TAXII 2.1"): a report per
/// advisory, incident or practice, an indicator per indicator with a STIX pattern, an identity per
/// authoring city, each marked with the record's TLP 2.0 marking definition, and those marking definitions.
/// Pure: what may leave is decided before, by the disclosure policy.
/// </summary>
public static class StixMapper
{
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>STIX timestamps with millisecond precision: 2024-05-01T10:00:00.000Z.</summary>
    public static string Timestamp(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static StixExport Map(IEnumerable<StixSourceRecord> records, Func<string, StixAuthor> authorOf)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(authorOf);
        var content = new List<StixEntry>();
        var identities = new Dictionary<string, (StixAuthor Author, long Added)>(StringComparer.Ordinal);
        var markings = new Dictionary<Tlp, long>();
        var unsupported = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int reports = 0, indicators = 0;
        Tlp? highest = null;
        foreach (var record in records.OrderBy(r => r.AddedUnixMs).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            if (!Records.TlpLabels.IsDefined(record.Tlp) || record.Tlp == Tlp.Red)
            {
                throw new ArgumentException($"record {record.Id} is {Records.TlpLabels.Display(record.Tlp)}; RED and unlabelled records are never exported", nameof(records));
            }
            var (title, body, tags, list) = Content(record);
            var identityId = StixIds.ForNode(record.Author);
            var marking = StixMarkings.IdOf(record.Tlp);
            var created = Timestamp(record.CreatedUnixMs);
            var refs = new JsonArray();
            var made = new List<StixEntry>();
            for (var i = 0; i < list.Count; i++)
            {
                var indicator = list[i];
                if (StixPatterns.For(indicator) is not { } pattern)
                {
                    unsupported[indicator.Type] = unsupported.GetValueOrDefault(indicator.Type) + 1;
                    continue;
                }
                var id = StixIds.ForIndicator(record.Id, i);
                refs.Add(id);
                made.Add(Entry(Indicator(id, identityId, created, marking, record, indicator, pattern), record));
                indicators++;
            }
            if (refs.Count == 0)
            {
                refs.Add(identityId); // object_refs needs one entry: the report is then about its author's finding alone
            }
            content.Add(Entry(Report(record, identityId, created, marking, title, body, tags, refs), record));
            reports++;
            content.AddRange(made);
            if (!identities.TryGetValue(record.Author, out var known) || record.AddedUnixMs < known.Added)
            {
                identities[record.Author] = (known.Author ?? authorOf(record.Author), record.AddedUnixMs);
            }
            markings[record.Tlp] = Math.Min(markings.GetValueOrDefault(record.Tlp, long.MaxValue), record.AddedUnixMs);
            // Identities are marked CLEAR (member cards are CLEAR records), so CLEAR is always referenced.
            markings[Tlp.Clear] = Math.Min(markings.GetValueOrDefault(Tlp.Clear, long.MaxValue), record.AddedUnixMs);
            highest = highest is { } h ? Records.TlpLabels.Strictest(h, record.Tlp) : record.Tlp;
        }
        var objects = new List<StixEntry>();
        foreach (var (tlp, added) in markings.OrderBy(m => m.Key))
        {
            objects.Add(new StixEntry(StixMarkings.IdOf(tlp), "marking-definition", StixMarkings.Definition(tlp), StixMarkings.Created, added, Tlp.Clear));
        }
        foreach (var (node, (author, added)) in identities.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            var identity = Identity(node, author);
            objects.Add(new StixEntry((string)identity["id"]!, "identity", identity, (string)identity["modified"]!, added, Tlp.Clear));
        }
        objects.AddRange(content);
        return new StixExport(objects, reports, indicators, unsupported) { Highest = highest };
    }

    private static StixEntry Entry(JsonObject o, StixSourceRecord record) =>
        new((string)o["id"]!, (string)o["type"]!, o, (string)o["modified"]!, record.AddedUnixMs, record.Tlp);

    private static (string Title, string Body, IReadOnlyList<string> Tags, IReadOnlyList<Indicator> Indicators) Content(StixSourceRecord record)
    {
        switch (record.Payload)
        {
            case Advisory a:
                return (a.Title, a.Body, a.Tags, a.Indicators);
            case Incident i:
            {
                var body = new StringBuilder(i.Body);
                Section(body, "Impact", i.Impact);
                Section(body, "Root cause", i.RootCause);
                Section(body, "Resolution", i.Resolution);
                Section(body, "Lessons learned", i.Lessons);
                var tags = i.Tags.ToList();
                if (i.Stage != IncidentStage.Unspecified)
                {
                    tags.Add("nis2-stage:" + StageName(i.Stage));
                }
                return (i.Title, body.ToString(), tags, i.Indicators);
            }
            case Practice p:
            {
                var tags = p.Tags.ToList();
                if (p.Type != PracticeType.Unspecified)
                {
                    tags.Add("practice:" + p.Type switch
                    {
                        PracticeType.Tip => "tip",
                        PracticeType.GoodPractice => "good-practice",
                        PracticeType.SolutionExperience => "solution-experience",
                        _ => "strategy",
                    });
                }
                tags.AddRange(p.Domains.Select(d => "nis2-domain:" + d));
                return (p.Title, p.Body, tags, p.Indicators);
            }
            default:
                throw new ArgumentException($"record {record.Id}: only advisories, incidents and practices map to STIX, not {record.Payload.Descriptor.Name}", nameof(record));
        }
    }

    private static string StageName(IncidentStage stage) => stage switch
    {
        IncidentStage.EarlyWarning => "early-warning",
        IncidentStage.Notification => "notification",
        IncidentStage.Intermediate => "intermediate",
        _ => "final",
    };

    private static void Section(StringBuilder body, string heading, string text)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            body.Append(body.Length > 0 ? "\n\n" : string.Empty).Append(heading).Append(": ").Append(text);
        }
    }

    private static JsonObject Common(string type, string id, string identityId, string created) => new()
    {
        ["type"] = type,
        ["spec_version"] = "2.1",
        ["id"] = id,
        ["created_by_ref"] = identityId,
        ["created"] = created,
        ["modified"] = created,
    };

    private static JsonArray Markings(string marking) => [marking];

    private static JsonArray Labels(IEnumerable<string> tags)
    {
        var labels = new JsonArray();
        foreach (var tag in tags.Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal))
        {
            labels.Add(tag);
        }
        return labels;
    }

    private static JsonArray References(StixSourceRecord record)
    {
        var references = new JsonArray { new JsonObject { ["source_name"] = "i4c", ["external_id"] = record.Id, ["description"] = "I4C Mesh record id" } };
        if (record.Payload is Advisory { ExternalId.Length: > 0 } advisory)
        {
            references.Add(new JsonObject { ["source_name"] = "misp", ["external_id"] = advisory.ExternalId, ["description"] = "MISP event uuid" });
        }
        return references;
    }

    private static JsonObject Report(StixSourceRecord record, string identityId, string created, string marking, string title, string body, IReadOnlyList<string> tags, JsonArray refs)
    {
        var report = Common("report", StixIds.ForRecord("report", record.Id), identityId, created);
        report["name"] = string.IsNullOrWhiteSpace(title) ? "(untitled)" : title;
        if (!string.IsNullOrWhiteSpace(body))
        {
            report["description"] = body;
        }
        report["report_types"] = new JsonArray("threat-report");
        report["published"] = created;
        report["object_refs"] = refs;
        // The record's kind first (i4c:advisory, i4c:incident, i4c:practice), then its tags.
        report["labels"] = Labels([$"i4c:{Records.RecordKinds.Name(record.Kind)}", .. tags]);
        report["external_references"] = References(record);
        report["object_marking_refs"] = Markings(marking);
        return report;
    }

    private static JsonObject Indicator(string id, string identityId, string created, string marking, StixSourceRecord record, Indicator indicator, StixPattern pattern)
    {
        var o = Common("indicator", id, identityId, created);
        var shown = indicator.Value.Length > 200 ? indicator.Value[..200] + "…" : indicator.Value;
        o["name"] = $"{indicator.Type}: {shown}";
        if (!string.IsNullOrWhiteSpace(indicator.Comment))
        {
            o["description"] = indicator.Comment;
        }
        if (indicator.ToIds)
        {
            o["indicator_types"] = new JsonArray("malicious-activity");
        }
        o["pattern"] = pattern.Pattern;
        o["pattern_type"] = pattern.PatternType;
        if (pattern.PatternType == "stix")
        {
            o["pattern_version"] = "2.1";
        }
        var validFrom = indicator.FirstSeenUnixMs > 0 ? indicator.FirstSeenUnixMs : record.CreatedUnixMs;
        o["valid_from"] = Timestamp(validFrom);
        if (indicator.LastSeenUnixMs > validFrom)
        {
            o["valid_until"] = Timestamp(indicator.LastSeenUnixMs);
        }
        // MISP's own STIX 2.1 convention for what STIX has no field for; MISP reads these back on import.
        var labels = new JsonArray { $"misp:type=\"{indicator.Type}\"" };
        if (!string.IsNullOrWhiteSpace(indicator.Category))
        {
            labels.Add($"misp:category=\"{indicator.Category}\"");
        }
        if (!string.IsNullOrWhiteSpace(indicator.ObjectName))
        {
            labels.Add($"misp:object=\"{indicator.ObjectName}\"");
        }
        if (!string.IsNullOrWhiteSpace(indicator.ObjectRelation))
        {
            labels.Add($"misp:object-relation=\"{indicator.ObjectRelation}\"");
        }
        labels.Add($"misp:to_ids=\"{(indicator.ToIds ? "True" : "False")}\"");
        o["labels"] = labels;
        o["object_marking_refs"] = Markings(marking);
        return o;
    }

    private static JsonObject Identity(string node, StixAuthor author)
    {
        var created = Timestamp(author.CreatedUnixMs);
        var identity = new JsonObject
        {
            ["type"] = "identity",
            ["spec_version"] = "2.1",
            ["id"] = StixIds.ForNode(node),
            ["created"] = created,
            ["modified"] = created,
            ["name"] = string.IsNullOrWhiteSpace(author.Name) ? "I4C Mesh node " + node[..12] : author.Name,
            ["description"] = $"Member of the I4C Mesh ({author.Category}, country {author.Country}); node id {node}.",
            ["identity_class"] = "organization",
            ["sectors"] = new JsonArray("government-local"),
            ["external_references"] = new JsonArray { new JsonObject { ["source_name"] = "i4c-node", ["external_id"] = node } },
            ["object_marking_refs"] = Markings(StixMarkings.Clear),
        };
        return identity;
    }
}
