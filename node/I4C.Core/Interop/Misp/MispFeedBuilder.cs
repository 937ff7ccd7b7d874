using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Interop.Misp;

/// <summary>One advisory the disclosure policy lets into the feed, with what the MISP event needs around it.</summary>
/// <param name="RecordId">The record id, hex.</param>
/// <param name="Advisory">The decoded payload.</param>
/// <param name="Tlp">The record's label.</param>
/// <param name="NamedAudience">Whether the record went to named recipients (exported as distribution 4, so a re-import needs --to).</param>
/// <param name="CreatedUnixMs">The record's creation time.</param>
/// <param name="AuthorName">The authoring city's name (MISP Orgc).</param>
/// <param name="AuthorId">The authoring node id (its Orgc uuid is derived from it).</param>
public sealed record MispFeedEntry(string RecordId, Advisory Advisory, Tlp Tlp, bool NamedAudience, long CreatedUnixMs, string AuthorName, string AuthorId);

/// <summary>A MISP feed folder in memory: one JSON file per event, the manifest and hashes.csv.</summary>
public sealed record MispFeed(IReadOnlyDictionary<string, byte[]> Events, byte[] Manifest, byte[] Hashes)
{
    public const string ManifestName = "manifest.json";
    public const string HashesName = "hashes.csv";
}

/// <summary>
/// Writes advisories as a MISP feed (the format PyMISP's feed generator writes and a MISP
/// instance adds under Sync Actions → Feeds): <c>&lt;uuid&gt;.json</c> holding
/// <c>{"Event": …}</c>, <c>manifest.json</c> (uuid → Orgc, Tag, info, date, analysis,
/// threat_level_id, timestamp) and <c>hashes.csv</c> (one "md5 of a value,event uuid"
/// line per attribute value). What goes in is decided by the caller through the
/// disclosure policy; this class only formats. The mapping is in docs/interop.md.
/// </summary>
public static class MispFeedBuilder
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static MispFeed Build(IEnumerable<MispFeedEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        // One event per uuid: when several records carry the same MISP uuid (two cities imported
        // the same OSINT event), the newest version of the event wins, then the newest record.
        var chosen = entries
            .GroupBy(EventUuid, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(e => e.Advisory.SourceTimestampUnixMs).ThenByDescending(e => e.CreatedUnixMs).ThenBy(e => e.RecordId, StringComparer.Ordinal).First())
            .OrderBy(EventUuid, StringComparer.Ordinal)
            .ToList();
        var events = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var manifest = new JsonObject();
        var hashes = new List<string>();
        foreach (var entry in chosen)
        {
            var uuid = EventUuid(entry);
            var (json, summary) = Event(entry, uuid);
            events[uuid] = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(Compact));
            manifest[uuid] = summary;
            foreach (var indicator in entry.Advisory.Indicators)
            {
                foreach (var part in indicator.Type.Contains('|', StringComparison.Ordinal) ? indicator.Value.Split('|') : [indicator.Value])
                {
                    hashes.Add($"{Convert.ToHexStringLower(MD5Hash(part))},{uuid}");
                }
            }
        }
        hashes.Sort(StringComparer.Ordinal);
        var csv = hashes.Count == 0 ? string.Empty : string.Join('\n', hashes.Distinct(StringComparer.Ordinal)) + "\n";
        return new MispFeed(events, System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString(Compact)), System.Text.Encoding.UTF8.GetBytes(csv));
    }

    /// <summary>The event uuid: the MISP uuid an imported record keeps, else uuid5 of the record id.</summary>
    public static string EventUuid(MispFeedEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return MispUuid.Normalize(entry.Advisory.ExternalId) ?? MispUuid.ForRecord(entry.RecordId);
    }

    public static string OrgUuid(string nodeId) => MispUuid.Derive("i4c:node:" + nodeId);

    /// <summary>The tag MISP's TLP taxonomy uses for a label (TLP 2.0 names; CLEAR is tlp:clear).</summary>
    public static string TlpTag(Tlp tlp) => "tlp:" + TlpLabels.Short(tlp);

    private static (JsonObject Event, JsonObject Summary) Event(MispFeedEntry entry, string uuid)
    {
        var a = entry.Advisory;
        var created = DateTimeOffset.FromUnixTimeMilliseconds(entry.CreatedUnixMs);
        var timestamp = (a.SourceTimestampUnixMs > 0 ? a.SourceTimestampUnixMs : entry.CreatedUnixMs) / 1000;
        var stamp = timestamp.ToString(CultureInfo.InvariantCulture);
        var date = a.SourceDate.Length > 0 ? a.SourceDate : created.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var threat = a.ThreatLevel is >= 1 and <= 4 ? a.ThreatLevel : 4;
        var tagNames = new List<string> { TlpTag(entry.Tlp) };
        tagNames.AddRange(a.Tags.Where(t => !t.StartsWith("tlp:", StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.Ordinal));
        var org = new JsonObject { ["name"] = entry.AuthorName, ["uuid"] = OrgUuid(entry.AuthorId) };

        var attributes = new JsonArray();
        var objects = new List<(string Uuid, JsonObject Object, JsonArray Attributes)>();
        for (var i = 0; i < a.Indicators.Count; i++)
        {
            var indicator = a.Indicators[i];
            var attribute = new JsonObject
            {
                ["uuid"] = MispUuid.Normalize(indicator.Uuid) ?? MispUuid.Derive($"i4c:attribute:{uuid}:{i}"),
                ["type"] = indicator.Type,
            };
            if (indicator.Category.Length > 0)
            {
                attribute["category"] = indicator.Category; // else MISP assigns the type's default category
            }
            attribute["value"] = indicator.Value;
            attribute["to_ids"] = indicator.ToIds;
            attribute["comment"] = indicator.Comment;
            attribute["timestamp"] = stamp;
            attribute["distribution"] = "5";
            attribute["disable_correlation"] = false;
            if (indicator.FirstSeenUnixMs != 0)
            {
                attribute["first_seen"] = Iso(indicator.FirstSeenUnixMs);
            }
            if (indicator.LastSeenUnixMs != 0)
            {
                attribute["last_seen"] = Iso(indicator.LastSeenUnixMs);
            }
            if (indicator.Tags.Count > 0)
            {
                attribute["Tag"] = Tags(indicator.Tags);
            }
            if (indicator.ObjectName.Length == 0)
            {
                attributes.Add(attribute);
                continue;
            }
            attribute["object_relation"] = indicator.ObjectRelation.Length > 0 ? indicator.ObjectRelation : indicator.Type;
            var objectUuid = MispUuid.Normalize(indicator.ObjectUuid) ?? MispUuid.Derive($"i4c:object:{uuid}:{indicator.ObjectName}");
            var group = objects.FirstOrDefault(o => o.Uuid == objectUuid);
            if (group.Object is null)
            {
                var members = new JsonArray();
                var obj = new JsonObject
                {
                    ["uuid"] = objectUuid,
                    ["name"] = indicator.ObjectName,
                    ["meta-category"] = indicator.ObjectMetaCategory.Length > 0 ? indicator.ObjectMetaCategory : "misc",
                    ["distribution"] = "5",
                    ["timestamp"] = stamp,
                    ["Attribute"] = members,
                };
                group = (objectUuid, obj, members);
                objects.Add(group);
            }
            group.Attributes.Add(attribute);
        }

        var body = new JsonObject
        {
            ["uuid"] = uuid,
            ["info"] = a.Title,
            ["date"] = date,
            ["threat_level_id"] = threat.ToString(CultureInfo.InvariantCulture),
            ["analysis"] = a.Analysis.ToString(CultureInfo.InvariantCulture),
            // All-member records: this community. Named recipients: a sharing group, so a
            // re-import needs --to again. A MISP instance applies its feed setting on pull.
            ["distribution"] = entry.NamedAudience ? "4" : "1",
            ["timestamp"] = stamp,
            ["publish_timestamp"] = (entry.CreatedUnixMs / 1000).ToString(CultureInfo.InvariantCulture),
            ["published"] = true,
            ["Orgc"] = org,
            ["Tag"] = Tags(tagNames),
            ["Attribute"] = attributes,
            ["Object"] = new JsonArray(objects.Select(o => (JsonNode)o.Object).ToArray()),
        };
        if (a.Body.Length > 0)
        {
            body["EventReport"] = new JsonArray(new JsonObject
            {
                ["uuid"] = MispUuid.Derive("i4c:report:" + uuid),
                ["name"] = a.Title,
                ["content"] = a.Body,
                ["distribution"] = "5",
                ["timestamp"] = stamp,
            });
        }
        var summary = new JsonObject
        {
            ["Orgc"] = org.DeepClone(),
            ["Tag"] = Tags(tagNames),
            ["info"] = a.Title,
            ["date"] = date,
            ["analysis"] = a.Analysis,
            ["threat_level_id"] = threat,
            ["timestamp"] = timestamp,
        };
        return (new JsonObject { ["Event"] = body }, summary);
    }

    private static JsonArray Tags(IEnumerable<string> names) =>
        new(names.Select(n => (JsonNode)new JsonObject { ["name"] = n, ["colour"] = Colour(n) }).ToArray());

    private static string Colour(string tag) => tag.ToLowerInvariant() switch
    {
        "tlp:clear" or "tlp:white" => "#ffffff",
        "tlp:green" => "#33ff00",
        "tlp:amber" or "tlp:amber+strict" => "#ffc000",
        "tlp:red" => "#ff2b2b",
        _ => "#808080",
    };

    private static string Iso(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

#pragma warning disable CA5351 // MISP's hashes.csv is defined with MD5; a lookup index, not a security function.
    private static byte[] MD5Hash(string value) => MD5.HashData(System.Text.Encoding.UTF8.GetBytes(value));
#pragma warning restore CA5351
}
