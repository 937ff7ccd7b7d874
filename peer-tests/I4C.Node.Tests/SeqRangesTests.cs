using I4C.Node.Mesh;

namespace I4C.Node.Tests;

/// <summary>The seqs a chain's stream still has to send to a peer.</summary>
[Trait("Category", "Unit")]
public sealed class SeqRangesTests
{
    [Fact]
    public void Add_OverlappingAndTouchingRanges_MergeAndStaySorted()
    {
        // Arrange
        var ranges = new SeqRanges();

        // Act
        ranges.Add(20, 30);
        ranges.Add(1, 5);
        ranges.Add(6, 8);     // touches 1–5
        ranges.Add(25, 40);   // overlaps 20–30
        ranges.Add(10, 12);
        ranges.Add(41, 41);   // touches 20–40

        // Assert
        Assert.Equal([(1UL, 8UL), (10UL, 12UL), (20UL, 41UL)], ranges.All);
        Assert.Equal((1UL, 8UL), ranges.First);
    }

    [Fact]
    public void Add_ARangeSpanningSeveral_JoinsThemIntoOne()
    {
        // Arrange
        var ranges = new SeqRanges();
        ranges.Add(3, 4);
        ranges.Add(7, 9);
        ranges.Add(12, 12);
        ranges.Add(20, 22);

        // Act
        ranges.Add(5, 12);

        // Assert
        Assert.Equal([(3UL, 12UL), (20UL, 22UL)], ranges.All);
    }

    [Fact]
    public void Add_ToAtTheTopOfTheSeqSpace_DoesNotWrapAround()
    {
        // Arrange
        var ranges = new SeqRanges();
        ranges.Add(ulong.MaxValue - 1, ulong.MaxValue);

        // Act
        ranges.Add(1, 1);
        ranges.Add(ulong.MaxValue, ulong.MaxValue);

        // Assert
        Assert.Equal([(1UL, 1UL), (ulong.MaxValue - 1, ulong.MaxValue)], ranges.All);
    }

    [Theory]
    [InlineData(1, 100, 40, 60, "1-39,61-100")]   // the skip inside: both ends kept
    [InlineData(1, 50, 40, 60, "1-39")]           // the skip over the top
    [InlineData(50, 100, 40, 60, "61-100")]       // the skip over the bottom
    [InlineData(45, 55, 40, 60, "")]              // all of it skipped
    [InlineData(1, 10, 40, 60, "1-10")]           // no overlap
    [InlineData(1, 10, 1, 0, "1-10")]             // no skip (empty)
    public void AddExcept_LeavesOutOnlyTheSkippedSeqs(ulong from, ulong to, ulong skipFrom, ulong skipTo, string expected)
    {
        // Arrange
        var ranges = new SeqRanges();

        // Act
        ranges.AddExcept(from, to, skipFrom, skipTo);

        // Assert
        Assert.Equal(expected, Text(ranges));
    }

    [Theory]
    [InlineData(1, 4, "5-10,20-30")]        // the front of the first range
    [InlineData(5, 25, "1-4,26-30")]        // the back of the first, the gap, the front of the second
    [InlineData(7, 8, "1-6,9-10,20-30")]    // splits a range
    [InlineData(11, 19, "1-10,20-30")]      // only the gap
    [InlineData(1, 30, "")]                 // everything
    [InlineData(30, 30, "1-10,20-29")]      // the last seq
    public void Remove_TakesOutExactlyTheRange(ulong from, ulong to, string expected)
    {
        // Arrange
        var ranges = new SeqRanges();
        ranges.Add(1, 10);
        ranges.Add(20, 30);

        // Act
        ranges.Remove(from, to);

        // Assert
        Assert.Equal(expected, Text(ranges));
    }

    [Fact]
    public void Add_EveryOtherSeqOfALongChain_StaysBoundedAndCoversEveryAskedSeq()
    {
        // Arrange: a peer asking for every other record of a chain of 10,000, one record per range.
        var ranges = new SeqRanges();
        var asked = Enumerable.Range(0, 5_000).Select(i => (ulong)(2 * i + 1)).ToList();

        // Act
        foreach (var seq in asked)
        {
            ranges.Add(seq, seq);
        }

        // Assert: at most MaxRanges ranges, still sorted and disjoint, and no asked seq lost.
        Assert.True(ranges.Count <= SeqRanges.MaxRanges, $"{ranges.Count} ranges");
        var all = ranges.All.ToList();
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.True(pair.First.To + 1 < pair.Second.From, $"{pair.First} then {pair.Second}"));
        Assert.All(asked, seq => Assert.Contains(all, r => r.From <= seq && seq <= r.To));
        Assert.Equal(1UL, all[0].From);
        Assert.Equal(9_999UL, all[^1].To);
    }

    [Fact]
    public void Add_PastTheLimit_MergesTheClosestPairOnly()
    {
        // Arrange: MaxRanges single seqs 10 apart, except one pair only 2 apart.
        var ranges = new SeqRanges();
        for (var i = 0; i < SeqRanges.MaxRanges; i++)
        {
            ranges.Add((ulong)(100 + 10 * i), (ulong)(100 + 10 * i));
        }

        // Act: one more, 2 after the last.
        var last = (ulong)(100 + 10 * (SeqRanges.MaxRanges - 1));
        ranges.Add(last + 2, last + 2);

        // Assert: the close pair became one range; every other range is untouched.
        Assert.Equal(SeqRanges.MaxRanges, ranges.Count);
        Assert.Equal((last, last + 2), ranges.All.Last());
        Assert.Equal((100UL, 100UL), ranges.First);
    }

    private static string Text(SeqRanges ranges) => string.Join(",", ranges.All.Select(r => $"{r.From}-{r.To}"));
}
