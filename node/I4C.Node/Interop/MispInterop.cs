using System.Runtime.CompilerServices;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Interop.Misp;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Interop;

/// <summary>One event of an import, as the Admin request carries it.</summary>
public sealed record MispImportRequestItem(string Source, Advisory Advisory, Tlp Tlp, IReadOnlyList<NodeId> To);

/// <summary>What the import did (or would do) with one event.</summary>
public sealed record MispImportResult(string Source, string EventUuid, MispImportAction Action, string? Id, string? PreviousId, Tlp Tlp, int Indicators);

/// <summary>An import the node refuses as a whole; nothing of it was published.</summary>
public sealed class MispImportRefusedException(string message) : Exception(message);

/// <summary>
/// The node's side of MISP interop: the MISP feed of what the disclosure policy lets go to
/// the city's own tools (one builder for the CLI export and the HTTP feed), and the import
/// of advisories mapped from MISP events (one current record per event, superseding older
/// ones). See docs/interop.md.
/// </summary>
public sealed class MispInterop(LocalNode node, MeshState mesh, DisclosurePolicy disclosure, ILogger logger)
{
    /// <summary>Room left in a payload for the encryption envelope of a named-audience record: per reader 32 + 48 bytes and framing.</summary>
    private const int EnvelopeOverheadPerReader = 96;
    private const int EnvelopeOverhead = 256;

    /// <summary>The feed of advisories allowed to the city's own tools under min(<paramref name="requested"/>, the node's export ceiling).</summary>
    public MispFeed BuildFeed(Tlp? requested)
    {
        var ceiling = disclosure.EffectiveCeiling(requested);
        var entries = new List<MispFeedEntry>();
        var advisories = node.Store.OfKind(RecordKind.Advisory);
        var replaced = SupersessionIndex.For(node.Store);
        foreach (var stored in advisories)
        {
            // The one policy decides; RED never passes it, nor anything above the ceiling.
            if (!disclosure.Allows(stored.Header, DisclosureTarget.OwnTools, ceiling) || stored.IsPurged || replaced.ContainsKey(stored.Id))
            {
                continue;
            }
            if (Decode(stored) is not { } advisory)
            {
                continue;
            }
            var author = stored.Author;
            var name = author.Equals(node.Identity.Id) ? node.Profile.Name : mesh.Roster.Get(author)?.Card.Name ?? author.Text;
            entries.Add(new MispFeedEntry(stored.Id.ToString(), advisory, stored.Header.Tlp, stored.Header.Audience.Count > 0, stored.Header.CreatedUnixMs, name, author.Text));
        }
        var feed = MispFeedBuilder.Build(entries);
        InteropLog.MispFeedBuilt(logger, feed.Events.Count, TlpLabels.Display(ceiling));
        return feed;
    }

    /// <summary>
    /// Checks every event, decides new / superseding / unchanged / stale, and unless
    /// <paramref name="dryRun"/> publishes the new and superseding ones in order. Any problem
    /// found before publishing refuses the whole import.
    /// </summary>
    public async Task<IReadOnlyList<MispImportResult>> ImportAsync(IReadOnlyList<MispImportRequestItem> items, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var limit = node.Validator.Limits.MaxPayloadBytes;
        var drafts = new List<(MispImportRequestItem Item, RecordDraft Draft, string Uuid)>();
        foreach (var item in items)
        {
            var uuid = MispUuid.Normalize(item.Advisory.ExternalId)
                ?? throw new MispImportRefusedException($"{item.Source}: the advisory's external_id '{item.Advisory.ExternalId}' is not a MISP event uuid.");
            if (!TlpLabels.IsDefined(item.Tlp))
            {
                throw new MispImportRefusedException($"{item.Source}: no TLP label.");
            }
            if (string.IsNullOrWhiteSpace(item.Advisory.Title) || item.Advisory.Title.Length > MispImportMapper.MaxTitleLength)
            {
                throw new MispImportRefusedException($"{item.Source}: the title is empty or longer than {MispImportMapper.MaxTitleLength} characters.");
            }
            foreach (var indicator in item.Advisory.Indicators)
            {
                if (Indicators.Problem(indicator) is { } problem)
                {
                    throw new MispImportRefusedException($"{item.Source}: {problem}.");
                }
            }
            var payload = item.Advisory.ToByteArray();
            var room = item.To.Count == 0 ? limit : limit - EnvelopeOverhead - EnvelopeOverheadPerReader * (item.To.Count + 1);
            if (payload.Length > room)
            {
                throw new MispImportRefusedException($"{item.Source}: the advisory is {payload.Length} bytes, more than this node's payload limit allows ({room}); split the event or raise --max-payload.");
            }
            var draft = new RecordDraft { Kind = RecordKind.Advisory, Tlp = item.Tlp, Payload = payload, Audience = item.To.ToList() };
            try
            {
                node.CheckPublishable(draft);
            }
            catch (PublishRefusedException ex)
            {
                throw new MispImportRefusedException($"{item.Source}: {ex.Message}");
            }
            drafts.Add((item, draft, uuid));
        }

        var current = CurrentVersions();
        var results = new List<MispImportResult>();
        var plan = new List<(int Index, RecordDraft Draft, string? Previous)>();
        foreach (var (item, draft, uuid) in drafts)
        {
            var audience = draft.Audience.Where(a => !a.Equals(node.Identity.Id)).Select(a => a.Text).Distinct().ToList();
            current.TryGetValue(uuid, out var existing);
            var action = MispImportDecision.Decide(existing, item.Advisory, item.Tlp, audience);
            var previous = action == MispImportAction.New ? null : existing!.RecordId;
            results.Add(new MispImportResult(item.Source, uuid, action, null, previous, item.Tlp, item.Advisory.Indicators.Count));
            if (action is MispImportAction.New or MispImportAction.Superseding)
            {
                plan.Add((results.Count - 1, draft, previous));
                // A later event of the same uuid in this batch compares with this one.
                current[uuid] = new MispCurrentVersion(string.Empty, item.Advisory, item.Tlp, audience);
            }
        }
        if (dryRun)
        {
            return results;
        }

        string? last = null;
        var lastByUuid = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (index, draft, previous) in plan)
        {
            var result = results[index];
            // Within the batch, a second version supersedes the record just published for the first.
            var target = lastByUuid.TryGetValue(result.EventUuid, out var justPublished) ? justPublished : previous;
            var references = target is { Length: > 0 } && RecordId.TryParse(target, out var targetId)
                ? new List<Reference> { new() { Type = ReferenceType.Supersedes, RecordId = ByteString.CopyFrom(targetId.Span) } }
                : [];
            ValidatedRecord record;
            try
            {
                record = await node.PublishAsync(draft with { References = references }, cancellationToken).ConfigureAwait(false);
            }
            catch (PublishRefusedException ex)
            {
                var done = results.Count(r => r.Id is not null);
                throw new MispImportRefusedException($"{result.Source}: {ex.Message} ({done} event(s) of this import were published before it{(last is null ? string.Empty : $", the last {last}")}).");
            }
            last = record.Id.ToString();
            lastByUuid[result.EventUuid] = last;
            results[index] = result with { Id = last, PreviousId = target is { Length: > 0 } ? target : null, Action = target is { Length: > 0 } ? MispImportAction.Superseding : MispImportAction.New };
            InteropLog.MispEventImported(logger, result.EventUuid, last, MispImportDecision.Name(results[index].Action));
        }
        return results;
    }

    /// <summary>This node's current (not superseded, not purged) advisory for each MISP event uuid.</summary>
    private Dictionary<string, MispCurrentVersion> CurrentVersions()
    {
        var replaced = SupersessionIndex.For(node.Store);
        var current = new Dictionary<string, (MispCurrentVersion Version, long Created)>(StringComparer.Ordinal);
        foreach (var stored in node.Store.OfKind(RecordKind.Advisory))
        {
            if (!stored.Author.Equals(node.Identity.Id) || stored.IsPurged || replaced.ContainsKey(stored.Id) || Decode(stored) is not { } advisory)
            {
                continue;
            }
            if (MispUuid.Normalize(advisory.ExternalId) is not { } uuid)
            {
                continue;
            }
            var audience = stored.Header.Audience.Select(a => NodeId.FromPublicKey(a.Span).Text).ToList();
            if (!current.TryGetValue(uuid, out var seen) || stored.Header.CreatedUnixMs >= seen.Created)
            {
                current[uuid] = (new MispCurrentVersion(stored.Id.ToString(), advisory, stored.Header.Tlp, audience), stored.Header.CreatedUnixMs);
            }
        }
        return current.ToDictionary(p => p.Key, p => p.Value.Version, StringComparer.Ordinal);
    }

    private Advisory? Decode(StoredRecord stored)
    {
        var plaintext = node.ReadPayload(stored);
        if (plaintext is null)
        {
            return null;
        }
        try
        {
            return Advisory.Parser.ParseFrom(plaintext);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}

/// <summary>
/// Which stored records are replaced by a same-author SUPERSEDES record, cached per store and
/// recomputed when the number of stored records changes (supersession never comes undone).
/// </summary>
internal sealed class SupersessionIndex
{
    private static readonly ConditionalWeakTable<RecordStore, SupersessionIndex> Indexes = [];
    private readonly Lock _gate = new();
    private long _count = -1;
    private IReadOnlyDictionary<RecordId, RecordId> _replaced = new Dictionary<RecordId, RecordId>();

    /// <summary>Target id → replacing record id, for the content kinds (advisory, incident, practice).</summary>
    public static IReadOnlyDictionary<RecordId, RecordId> For(RecordStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Indexes.GetValue(store, _ => new SupersessionIndex()).Get(store);
    }

    private IReadOnlyDictionary<RecordId, RecordId> Get(RecordStore store)
    {
        lock (_gate)
        {
            var count = store.Count();
            if (count != _count)
            {
                var records = new[] { RecordKind.Advisory, RecordKind.Incident, RecordKind.Practice }
                    .SelectMany(store.OfKind)
                    .Select(r => (r.Id, r.Header));
                _replaced = Supersession.Compute(records);
                _count = count;
            }
            return _replaced;
        }
    }
}

/// <summary>Log events of the interop adapters (ids 2700–2709).</summary>
internal static partial class InteropLog
{
    [LoggerMessage(EventId = 2700, EventName = "MispFeedBuilt", Level = LogLevel.Information, Message = "MISP feed built: {Events} events at or below {Ceiling}")]
    public static partial void MispFeedBuilt(ILogger logger, int events, string ceiling);

    [LoggerMessage(EventId = 2701, EventName = "MispEventImported", Level = LogLevel.Information, Message = "MISP event {EventUuid} imported as {RecordId} ({Action})")]
    public static partial void MispEventImported(ILogger logger, string eventUuid, string recordId, string action);

    [LoggerMessage(EventId = 2702, EventName = "MispFeedServed", Level = LogLevel.Information, Message = "MISP feed file {File} served ({Status})")]
    public static partial void MispFeedServed(ILogger logger, string file, int status);
}
