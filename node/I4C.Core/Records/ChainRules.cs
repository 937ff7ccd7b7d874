namespace I4C.Core.Records;

/// <summary>What the store knows about an author's chain on one channel.</summary>
/// <param name="HeadSeq">Highest stored seq, 0 when nothing is stored.</param>
/// <param name="HeadId">The record id at <paramref name="HeadSeq"/>.</param>
/// <param name="ExistingAtSeq">The id already stored at the incoming record's seq, if any.</param>
public readonly record struct ChainState(ulong HeadSeq, RecordId HeadId, RecordId? ExistingAtSeq);

/// <summary>The outcome of checking a record against the chain.</summary>
public enum ChainVerdict
{
    /// <summary>The record extends the chain by one.</summary>
    Extends,
    /// <summary>The same record is stored already (idempotent).</summary>
    Duplicate,
    /// <summary>Rejected; see the rejection.</summary>
    Rejected,
}

/// <summary>Per-(author, channel) chain rules: gap-free sequence, previous-hash link, no forks.</summary>
public static class ChainRules
{
    public static (ChainVerdict Verdict, Rejection? Rejection) Check(ValidatedRecord record, ChainState state)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (state.ExistingAtSeq is { } existing)
        {
            return existing == record.Id
                ? (ChainVerdict.Duplicate, null)
                : (ChainVerdict.Rejected, new Rejection(RejectReason.Equivocation,
                    $"author {record.Author} already has record {existing} at seq {record.Seq} on this channel; {record.Id} is a second one"));
        }
        if (record.Seq != state.HeadSeq + 1)
        {
            return (ChainVerdict.Rejected, new Rejection(RejectReason.ChainGap,
                $"seq {record.Seq} does not follow the stored head seq {state.HeadSeq}; records {state.HeadSeq + 1}..{record.Seq - 1} are missing"));
        }
        if (record.Seq > 1 && !record.Header.Prev.Span.SequenceEqual(state.HeadId.Span))
        {
            return (ChainVerdict.Rejected, new Rejection(RejectReason.ChainMismatch,
                $"prev {Convert.ToHexStringLower(record.Header.Prev.Span)} is not the id of the stored seq {state.HeadSeq} ({state.HeadId})"));
        }
        return (ChainVerdict.Extends, null);
    }
}
