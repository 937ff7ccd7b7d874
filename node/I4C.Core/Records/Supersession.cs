using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>
/// Which records are replaced: a record carrying a SUPERSEDES reference replaces its target
/// when both have the same author (only an author can replace its own record; a
/// SUPERSEDES reference to another author's record has no effect). Readers (feed, show,
/// exports) treat a replaced record as replaced. See docs/records.md and docs/interop.md.
/// </summary>
public static class Supersession
{
    /// <summary>Target id → the id of the newest record (by creation time) that replaces it.</summary>
    public static IReadOnlyDictionary<RecordId, RecordId> Compute(IEnumerable<(RecordId Id, RecordHeader Header)> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var authors = new Dictionary<RecordId, (ReadOnlyMemory<byte> Author, long Created)>();
        var claims = new List<(RecordId By, RecordId Target, ReadOnlyMemory<byte> Author, long Created)>();
        foreach (var (id, header) in records)
        {
            authors[id] = (header.Author.Memory, header.CreatedUnixMs);
            foreach (var reference in header.References)
            {
                if (reference.Type == ReferenceType.Supersedes && reference.RecordId.Length == RecordId.Length)
                {
                    claims.Add((id, RecordId.FromBytes(reference.RecordId.Span), header.Author.Memory, header.CreatedUnixMs));
                }
            }
        }
        var replaced = new Dictionary<RecordId, (RecordId By, long Created)>();
        foreach (var (by, target, author, created) in claims)
        {
            if (by == target || !authors.TryGetValue(target, out var owner) || !owner.Author.Span.SequenceEqual(author.Span))
            {
                continue;
            }
            if (!replaced.TryGetValue(target, out var existing) || created > existing.Created)
            {
                replaced[target] = (by, created);
            }
        }
        return replaced.ToDictionary(p => p.Key, p => p.Value.By);
    }
}
