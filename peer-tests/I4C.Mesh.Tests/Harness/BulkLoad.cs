using Google.Protobuf;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// Fills a node's own chain quickly: signs advisories exactly as <see cref="Node.Hosting.LocalNode.PublishAsync"/>
/// would (same writer, same validator, next seq after the stored head, the node's mesh id) but
/// stores them in batches of one transaction each instead of one fsync per record. Nothing is
/// disseminated: use it to give a node history before peers link with it.
/// </summary>
public static class BulkLoad
{
    public static IReadOnlyList<RecordId> Advisories(ClusterNode node, int count, int batch = 500)
    {
        ArgumentNullException.ThrowIfNull(node);
        var local = node.Node;
        var channel = Channels.Mesh;
        var (seq, head) = local.Store.GetHead(local.Identity.Id, channel);
        var ids = new List<RecordId>(count);
        var pending = new List<ValidatedRecord>(batch);
        for (var i = 0; i < count; i++)
        {
            var draft = new RecordDraft
            {
                Kind = RecordKind.Advisory,
                Tlp = Tlp.Green,
                MeshId = local.MeshId,
                Payload = Harness.Advisories.Create($"Historic advisory {i} of {node.Name}", node.Name).ToByteArray(),
            };
            var wire = RecordWriter.Sign(local.Identity, draft, ++seq, head, local.Time.GetUtcNow());
            var result = local.Validator.Validate(wire);
            var record = result.Record ?? throw new InvalidOperationException($"bulk record {i} does not validate: {result.Rejection}");
            head = record.Id;
            ids.Add(record.Id);
            pending.Add(record);
            if (pending.Count == batch || i == count - 1)
            {
                var outcomes = local.Store.InsertBatch(pending);
                if (outcomes.FirstOrDefault(o => o.Status != StoreStatus.Stored) is { Rejection: not null } bad)
                {
                    throw new InvalidOperationException($"bulk record {bad.Id} was not stored: {bad.Rejection}");
                }
                pending.Clear();
            }
        }
        return ids;
    }
}
