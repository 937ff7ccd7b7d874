namespace I4C.Node.Mesh;

/// <summary>
/// The seqs of one chain still to be sent to one peer: sorted, disjoint, non-adjacent inclusive ranges.
/// At most <see cref="MaxRanges"/> are kept; past that the two ranges with the smallest gap between them
/// become one, so a peer asking for every other record cannot make the set grow with the chain. Sending
/// the records in such a gap again costs bandwidth, never correctness: the peer drops what it holds.
/// Not thread-safe; the sync engine holds its serve lock around every call.
/// </summary>
internal sealed class SeqRanges
{
    public const int MaxRanges = 32;

    private readonly List<(ulong From, ulong To)> _ranges = [];

    public int Count => _ranges.Count;

    public bool IsEmpty => _ranges.Count == 0;

    /// <summary>The lowest range still to be sent.</summary>
    public (ulong From, ulong To) First => _ranges[0];

    public IEnumerable<(ulong From, ulong To)> All => _ranges;

    /// <summary>Adds [from, to], merging it with every range it overlaps or touches.</summary>
    public void Add(ulong from, ulong to)
    {
        if (to < from)
        {
            return;
        }
        // Skip the ranges that end before from - 1 (To + 1 < from, written so that To = MaxValue cannot wrap);
        // then take in every range that starts at or before to + 1 (From - 1 <= to, the same for From = 0).
        var i = 0;
        while (i < _ranges.Count && _ranges[i].To < from && _ranges[i].To + 1 < from)
        {
            i++;
        }
        var j = i;
        while (j < _ranges.Count && (_ranges[j].From <= to || _ranges[j].From - 1 <= to))
        {
            from = Math.Min(from, _ranges[j].From);
            to = Math.Max(to, _ranges[j].To);
            j++;
        }
        _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (from, to));
        if (_ranges.Count > MaxRanges)
        {
            MergeClosest();
        }
    }

    /// <summary>Adds [from, to] except the seqs in [skipFrom, skipTo] (an empty skip when skipTo &lt; skipFrom).</summary>
    public void AddExcept(ulong from, ulong to, ulong skipFrom, ulong skipTo)
    {
        if (skipTo < skipFrom || to < skipFrom || from > skipTo)
        {
            Add(from, to);
            return;
        }
        if (from < skipFrom)
        {
            Add(from, skipFrom - 1);
        }
        if (to > skipTo)
        {
            Add(skipTo + 1, to);
        }
    }

    /// <summary>Takes [from, to] out of the set, splitting a range it falls inside.</summary>
    public void Remove(ulong from, ulong to)
    {
        if (to < from)
        {
            return;
        }
        var i = 0;
        while (i < _ranges.Count)
        {
            var (f, t) = _ranges[i];
            if (t < from)
            {
                i++;
                continue;
            }
            if (f > to)
            {
                return;
            }
            _ranges.RemoveAt(i);
            if (t > to)
            {
                _ranges.Insert(i, (to + 1, t));
            }
            if (f < from)
            {
                _ranges.Insert(i, (f, from - 1));
                i++;
            }
        }
    }

    private void MergeClosest()
    {
        var best = 0;
        var bestGap = ulong.MaxValue;
        for (var i = 0; i + 1 < _ranges.Count; i++)
        {
            var gap = _ranges[i + 1].From - _ranges[i].To;
            if (gap < bestGap)
            {
                (best, bestGap) = (i, gap);
            }
        }
        _ranges[best] = (_ranges[best].From, _ranges[best + 1].To);
        _ranges.RemoveAt(best + 1);
    }
}
