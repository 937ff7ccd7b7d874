using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Storage;

namespace I4C.Benchmarks.Mesh;

/// <summary>
/// Gives a node history fast, as the peer tests' BulkLoad does: signs 1 KiB advisories
/// (<see cref="Samples.Draft"/>) on the author's mesh chain exactly as LocalNode.PublishAsync
/// would (same writer, next seq after the stored head, the mesh id), validates them with the
/// node's validator (in parallel), and inserts them in batches of one transaction each into
/// every store given, instead of one fsync per record. Nothing is disseminated. Giving the same
/// records to two stores builds two nodes that are in sync without a catch-up.
/// </summary>
internal static class History
{
    private const int Batch = 1000;

    /// <summary>Appends <paramref name="count"/> records to the author's mesh chain in each store; returns the new head seq.</summary>
    public static ulong Append(NodeIdentity author, byte[] meshId, RecordValidator validator, int count, IReadOnlyList<RecordStore> stores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(stores);
        var (seq, head) = stores[0].GetHead(author.Id, Channels.Mesh);
        foreach (var other in stores.Skip(1))
        {
            if (other.GetHead(author.Id, Channels.Mesh) != (seq, head))
            {
                throw new InvalidOperationException("the stores do not hold the same head of the author's chain.");
            }
        }
        var now = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var done = 0; done < count;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(Batch, count - done);
            var wires = new Protocol.V1.SignedRecord[n];
            for (var i = 0; i < n; i++)
            {
                var draft = Samples.Draft(done + i + 1) with { MeshId = meshId };
                wires[i] = RecordWriter.Sign(author, draft, ++seq, head, now);
                head = RecordId.OfHeader(wires[i].Header.Span);
            }
            var records = new ValidatedRecord[n];
            Parallel.For(0, n, i =>
            {
                var result = validator.Validate(wires[i]);
                records[i] = result.Record ?? throw new InvalidOperationException($"history record {done + i + 1} does not validate: {result.Rejection}");
            });
            foreach (var store in stores)
            {
                var outcomes = store.InsertBatch(records);
                if (outcomes.FirstOrDefault(o => o.Status != StoreStatus.Stored) is { Rejection: not null } bad)
                {
                    throw new InvalidOperationException($"history record {bad.Id} was not stored: {bad.Rejection}");
                }
            }
            done += n;
        }
        return seq;
    }
}
