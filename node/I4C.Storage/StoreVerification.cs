using I4C.Core.Records;

namespace I4C.Storage;

/// <summary>What a re-verification of a store found.</summary>
public sealed record StoreVerificationResult(long Checked, long PayloadsChecked, IReadOnlyList<(RecordId Id, Rejection Problem)> Failures);

/// <summary>
/// Re-verifies every stored record: header, signature, payload hash, id and chain link, and that the
/// id index finds it (up to 100 records it does not are reported). Used by the node's `i4c verify`
/// and by `i4c restore` before it declares a restored directory good.
/// </summary>
public static class StoreVerification
{
    public static StoreVerificationResult Run(RecordStore store, RecordValidator validator)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(validator);
        long checkedCount = 0, payloads = 0;
        var failures = new List<(RecordId, Rejection)>();
        byte[]? lastAuthor = null, lastChannel = null;
        ulong lastSeq = 0;
        RecordId lastId = default;
        foreach (var stored in store.EnumerateAll())
        {
            checkedCount++;
            var author = stored.Header.Author.ToByteArray();
            var channel = stored.Header.Channel.ToByteArray();
            var sameChain = lastAuthor is not null && author.AsSpan().SequenceEqual(lastAuthor) && channel.AsSpan().SequenceEqual(lastChannel);
            var state = sameChain ? new ChainState(lastSeq, lastId, null) : new ChainState(0, default, null);
            (lastAuthor, lastChannel, lastSeq, lastId) = (author, channel, stored.Header.Seq, stored.Id);
            var result = validator.Validate(stored.HeaderBytes, stored.Signature, stored.Payload);
            if (!result.IsValid)
            {
                failures.Add((stored.Id, result.Rejection!));
                continue;
            }
            if (stored.Payload is not null)
            {
                payloads++;
            }
            var record = result.Record!;
            if (record.Id != stored.Id)
            {
                failures.Add((stored.Id, new Rejection(RejectReason.Malformed, $"stored under id {stored.Id} but its header hashes to {record.Id}")));
                continue;
            }
            var (verdict, problem) = ChainRules.Check(record, state);
            if (verdict == ChainVerdict.Rejected)
            {
                failures.Add((stored.Id, problem!));
            }
        }
        foreach (var id in store.RecordsMissingFromIdIndex())
        {
            failures.Add((id, new Rejection(RejectReason.Malformed, "no entry in the id index (record_ids, recent_ids) names this record's row: a lookup by its id does not find it")));
        }
        return new StoreVerificationResult(checkedCount, payloads, failures);
    }
}
