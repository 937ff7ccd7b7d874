using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Interop.Misp;

/// <summary>How an import treats what MISP leaves open.</summary>
/// <param name="DefaultTlp">The label for an event without a tlp:* tag; null = refuse such an event.</param>
/// <param name="HasRecipients">Whether the operator named recipients (--to): sharing-group events and TLP:RED need them.</param>
/// <param name="SkipInvalidAttributes">Leave out (and list) attributes of an unsupported type or with an invalid value instead of refusing the event.</param>
public sealed record MispImportOptions(Tlp? DefaultTlp, bool HasRecipients, bool SkipInvalidAttributes = false);

/// <summary>One event mapped to an advisory, or skipped with a reason.</summary>
public sealed record MispImportItem(string Source, string EventUuid, Advisory? Advisory, Tlp Tlp, string? SkipReason, IReadOnlyList<string> Notes)
{
    public bool Skipped => SkipReason is not null;
}

/// <summary>
/// Maps a MISP event to an advisory (docs/interop.md has the table): title from info,
/// indicators from the attributes (objects' too, keeping the object's name, uuid and the
/// attribute's relation), tags, threat level, analysis, uuid. The label comes from the
/// strictest tlp:* tag on the event or any attribute; an event the import cannot share
/// safely is refused with a <see cref="MispImportException"/> naming it.
/// </summary>
public static class MispImportMapper
{
    public const int MaxTitleLength = 300;

    public static MispImportItem Map(MispEvent e, MispImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(options);
        var notes = new List<string>();
        var uuid = EventUuid(e, notes);
        var name = $"{e.Source} (event {uuid})";
        var distribution = e.Distribution ?? 1;
        switch (distribution)
        {
            case 0:
                return new MispImportItem(e.Source, uuid, null, Tlp.Unspecified, "distribution 0 (your organisation only): not shared", notes);
            case 1 or 2 or 3:
                break;
            case 4:
                if (!options.HasRecipients)
                {
                    throw new MispImportException($"{name}: distribution 4 (sharing group) has no equivalent for all members; name the recipients with --to NODE[,NODE…].");
                }
                break;
            case 5:
                throw new MispImportException($"{name}: distribution 5 (inherit) is only valid on attributes and objects, not on an event.");
            default:
                throw new MispImportException($"{name}: distribution {distribution} is not a MISP distribution (0–4 for an event).");
        }

        var labels = new List<(Tlp Label, string Tag)>();
        var tags = new List<string>();
        foreach (var tag in e.Tags)
        {
            if (!IsTlpTag(tag, name, labels) && !tags.Contains(tag, StringComparer.Ordinal))
            {
                tags.Add(tag);
            }
        }

        var advisory = new Advisory
        {
            Title = Title(e.Info, uuid, notes, out var overflow),
            Body = string.Join("\n\n", (overflow is null ? [] : new[] { overflow }).Concat(e.Reports)),
            ExternalId = uuid,
            ThreatLevel = Range(e.ThreatLevel, 1, 4, "threat_level_id", name),
            Analysis = Range(e.Analysis, 0, 2, "analysis", name),
            SourceTimestampUnixMs = e.TimestampUnix > 0 ? e.TimestampUnix * 1000 : 0,
            SourceDate = Date(e.Date, name),
        };
        advisory.Tags.AddRange(tags);

        int withheld = 0, deleted = 0, left = 0;
        void Add(MispAttribute a, MispObject? o, int objectDistribution)
        {
            if (a.Deleted)
            {
                deleted++;
                return;
            }
            var effective = a.Distribution is null or 5 ? objectDistribution : a.Distribution.Value;
            if (effective is < 0 or > 5)
            {
                throw new MispImportException($"{name}: {a.Where}: distribution {effective} is not a MISP distribution.");
            }
            if (effective == 0)
            {
                withheld++;
                return;
            }
            if (effective == 4 && !options.HasRecipients)
            {
                throw new MispImportException($"{name}: {a.Where} is for a sharing group (distribution 4); name the recipients with --to NODE[,NODE…].");
            }
            var indicator = new Indicator
            {
                Type = a.Type,
                Value = a.Value,
                Category = a.Category,
                ToIds = a.ToIds,
                Comment = a.Comment,
                FirstSeenUnixMs = a.FirstSeenUnixMs,
                LastSeenUnixMs = a.LastSeenUnixMs,
                Uuid = MispUuid.Normalize(a.Uuid) ?? MispUuid.Derive($"i4c:attribute:{uuid}:{a.Where}"),
            };
            foreach (var tag in a.Tags)
            {
                if (!IsTlpTag(tag, name, labels) && !indicator.Tags.Contains(tag))
                {
                    indicator.Tags.Add(tag);
                }
            }
            if (o is not null)
            {
                indicator.ObjectName = o.Name;
                indicator.ObjectRelation = a.ObjectRelation;
                indicator.ObjectUuid = MispUuid.Normalize(o.Uuid) ?? MispUuid.Derive($"i4c:object:{uuid}:{o.Where}");
                indicator.ObjectMetaCategory = o.MetaCategory;
            }
            if (Indicators.Problem(indicator) is { } problem)
            {
                if (!options.SkipInvalidAttributes)
                {
                    throw new MispImportException($"{name}: {a.Where}: {problem}. Fix or remove the attribute, or import with --skip-invalid to leave such attributes out.");
                }
                left++;
                notes.Add($"{a.Where} left out: {problem}");
                return;
            }
            advisory.Indicators.Add(indicator);
        }

        foreach (var a in e.Attributes)
        {
            Add(a, null, distribution);
        }
        foreach (var o in e.Objects)
        {
            if (o.Deleted)
            {
                deleted += o.Attributes.Count;
                continue;
            }
            var objectDistribution = o.Distribution is null or 5 ? distribution : o.Distribution.Value;
            foreach (var a in o.Attributes)
            {
                Add(a, o, objectDistribution);
            }
        }
        if (withheld > 0)
        {
            notes.Add($"{withheld} attribute(s) with distribution 0 (your organisation only) not shared");
        }
        if (deleted > 0)
        {
            notes.Add($"{deleted} deleted attribute(s) not imported");
        }

        Tlp label;
        if (labels.Count > 0)
        {
            label = labels.Select(l => l.Label).Aggregate(TlpLabels.Strictest);
            if (labels.Select(l => l.Label).Distinct().Count() > 1)
            {
                notes.Add($"several TLP tags ({string.Join(", ", labels.Select(l => l.Tag).Distinct(StringComparer.OrdinalIgnoreCase))}); the strictest, {TlpLabels.Display(label)}, applies to the whole advisory");
            }
        }
        else if (options.DefaultTlp is { } fallback)
        {
            label = fallback;
            notes.Add($"no tlp:* tag; --tlp-default {TlpLabels.Short(fallback)} applies");
        }
        else
        {
            throw new MispImportException($"{name}: the event has no tlp:* tag; give --tlp-default LABEL (clear, green, amber, amber+strict or red) to label such events.");
        }
        if (label == Tlp.Red && !options.HasRecipients)
        {
            throw new MispImportException($"{name}: TLP:RED goes only to named recipients; give them with --to NODE[,NODE…].");
        }
        return new MispImportItem(e.Source, uuid, advisory, label, null, notes);
    }

    /// <summary>Whether the tag is a tlp:* tag (then its label is collected); refuses a tlp:* tag it does not know.</summary>
    private static bool IsTlpTag(string tag, string name, List<(Tlp, string)> labels)
    {
        if (!tag.StartsWith("tlp:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var value = tag[4..].Trim().ToLowerInvariant();
        var label = value switch
        {
            "white" or "clear" => Tlp.Clear,
            "green" => Tlp.Green,
            "amber" => Tlp.Amber,
            "amber+strict" => Tlp.AmberStrict,
            "red" => Tlp.Red,
            _ => throw new MispImportException($"{name}: unknown TLP tag '{tag}'; the import knows tlp:white, tlp:clear, tlp:green, tlp:amber, tlp:amber+strict and tlp:red. Replace it in MISP."),
        };
        labels.Add((label, tag));
        return true;
    }

    private static string EventUuid(MispEvent e, List<string> notes)
    {
        if (MispUuid.Normalize(e.Uuid) is { } uuid)
        {
            return uuid;
        }
        if (!string.IsNullOrWhiteSpace(e.Uuid))
        {
            throw new MispImportException($"{e.Source}: the event uuid '{e.Uuid}' is not a uuid.");
        }
        // No uuid (a hand-written or partial event): derive one from the content, so the same
        // file imported again is recognised. A changed copy is then a different event.
        var canonical = JsonSerializer.SerializeToUtf8Bytes(e with { Source = string.Empty });
        var derived = MispUuid.Derive("i4c:event-content:" + Convert.ToHexStringLower(SHA256.HashData(canonical)));
        notes.Add($"the event has no uuid; using {derived}, derived from its content");
        return derived;
    }

    private static string Title(string info, string uuid, List<string> notes, out string? overflow)
    {
        overflow = null;
        var title = string.Join(' ', (info ?? string.Empty).Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (title.Length == 0)
        {
            notes.Add("the event has no info; titled by its uuid");
            return $"MISP event {uuid}";
        }
        if (title.Length > MaxTitleLength)
        {
            overflow = info!.Trim();
            notes.Add($"info longer than {MaxTitleLength} characters; the title is cut and the full text is in the body");
            return string.Concat(title.AsSpan(0, MaxTitleLength - 1), "…");
        }
        return title;
    }

    private static int Range(int? value, int min, int max, string field, string name) =>
        value is null ? 0
        : value >= min && value <= max ? value.Value
        : throw new MispImportException($"{name}: {field} {value} is out of range ({min}–{max}).");

    private static string Date(string date, string name)
    {
        if (string.IsNullOrWhiteSpace(date))
        {
            return string.Empty;
        }
        return DateOnly.TryParseExact(date.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : throw new MispImportException($"{name}: date '{date}' is not YYYY-MM-DD.");
    }
}
