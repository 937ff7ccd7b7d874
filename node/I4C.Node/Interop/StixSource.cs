using Google.Protobuf;
using I4C.Core.Interop.Stix;
using I4C.Core.Membership;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Node.Interop;

/// <summary>
/// What this node hands to the city's own tools as STIX 2.1 (the <c>i4c export stix</c> bundle and the TAXII
/// collections): advisories, incidents and practices that <see cref="DisclosurePolicy"/> lets leave to
/// <see cref="DisclosureTarget.OwnTools"/> under the ceiling asked for, with their payload still held (purged,
/// retracted and expired records never appear) and not superseded by a newer record of the same author.
/// </summary>
internal sealed class StixSource(LocalNode node, MeshState mesh, DisclosurePolicy disclosure)
{
    private static readonly RecordKind[] Kinds = [RecordKind.Advisory, RecordKind.Incident, RecordKind.Practice];

    /// <summary>The effective ceiling for a request (never above the node's export ceiling, never RED).</summary>
    public Tlp CeilingFor(Tlp? requested) => disclosure.EffectiveCeiling(requested);

    public StixExport Export(Tlp? requested)
    {
        var ceiling = CeilingFor(requested);
        var stored = Kinds.SelectMany(node.Store.OfKind).ToList();
        // A record that a later record of the same author supersedes (a re-imported MISP event) is stale.
        var authorOf = stored.ToDictionary(r => r.Id, r => r.Author);
        var superseded = new HashSet<RecordId>();
        foreach (var record in stored)
        {
            foreach (var reference in record.Header.References)
            {
                if (reference.Type == ReferenceType.Supersedes && reference.RecordId.Length == 32)
                {
                    var target = RecordId.FromBytes(reference.RecordId.ToByteArray());
                    if (authorOf.TryGetValue(target, out var author) && author.Equals(record.Author))
                    {
                        superseded.Add(target);
                    }
                }
            }
        }
        var records = new List<StixSourceRecord>();
        foreach (var record in stored)
        {
            if (record.IsPurged || superseded.Contains(record.Id) || !disclosure.Allows(record.Header, DisclosureTarget.OwnTools, ceiling))
            {
                continue;
            }
            if (Decode(record) is not { } payload)
            {
                continue; // no payload held, or not one this node can read
            }
            records.Add(new StixSourceRecord(record.Id.ToString(), record.Author.Text, record.Header.Kind, record.Header.Tlp,
                record.Header.CreatedUnixMs, record.ReceivedUnixMs, payload));
        }
        var firstSeen = records.GroupBy(r => r.Author).ToDictionary(g => g.Key, g => g.Min(r => r.CreatedUnixMs), StringComparer.Ordinal);
        return StixMapper.Map(records, author => Author(author, firstSeen[author]));
    }

    private StixAuthor Author(string nodeId, long firstRecordUnixMs)
    {
        var id = Core.Identity.NodeId.TryParse(nodeId, out var parsed) ? parsed! : throw new InvalidOperationException($"stored author {nodeId} is not a node id");
        if (mesh.Roster.StandingOf(id) is { } standing)
        {
            var card = standing.Card;
            return new StixAuthor(nodeId, card.Name, card.Country, MemberCards.Format(card.Category), card.IssuedUnixMs > 0 ? card.IssuedUnixMs : firstRecordUnixMs);
        }
        if (id.Equals(node.Identity.Id))
        {
            return new StixAuthor(nodeId, node.Profile.Name, node.Profile.Country, Core.Identity.NodeProfile.Format(node.Profile.Category), firstRecordUnixMs);
        }
        return new StixAuthor(nodeId, string.Empty, "unknown", "unknown", firstRecordUnixMs);
    }

    private IMessage? Decode(StoredRecord record)
    {
        var plaintext = node.ReadPayload(record);
        if (plaintext is null)
        {
            return null;
        }
        try
        {
            return PayloadCodec.Decode(record.Header.Kind, plaintext);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
