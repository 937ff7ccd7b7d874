using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>Per-(author, channel) chains: <see cref="ChainRules"/> on its own and as <see cref="RecordStore"/> enforces it.</summary>
[Trait("Category", "Unit")]
public sealed class ChainTests : IDisposable
{
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly TestAuthor _author;
    private readonly TempDirectory _dir = new();
    private readonly RecordStore _store;

    public ChainTests()
    {
        _validator = new RecordValidator(RecordLimits.Default, _time);
        _author = new TestAuthor(_validator, _time);
        _store = RecordStore.Open(_dir.File("chain.db"), _time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _author.Dispose();
        _dir.Dispose();
    }

    // --- ChainRules alone ----------------------------------------------------------------

    [Fact]
    public void Check_Seq1OnEmptyChain_Extends()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));

        // Act
        var (verdict, rejection) = ChainRules.Check(first, new ChainState(0, default, null));

        // Assert
        Assert.Equal(ChainVerdict.Extends, verdict);
        Assert.Null(rejection);
    }

    [Fact]
    public void Check_Seq3AfterHead1_IsChainGapNamingTheMissingRange()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        var second = _author.Write(TestRecords.AdvisoryDraft("two"));
        var third = _author.Write(TestRecords.AdvisoryDraft("three"));

        // Act
        var (verdict, rejection) = ChainRules.Check(third, new ChainState(1, first.Id, null));

        // Assert
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(ChainVerdict.Rejected, verdict);
        Assert.Equal(RejectReason.ChainGap, rejection!.Reason);
        Assert.Contains("seq 3", rejection.Detail, StringComparison.Ordinal);
        Assert.Contains("2..2", rejection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_PrevNotTheHead_IsChainMismatch()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        var stranger = RecordId.FromBytes(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        var second = _author.WriteAt(TestRecords.AdvisoryDraft("two"), 2, stranger);

        // Act
        var (verdict, rejection) = ChainRules.Check(second, new ChainState(1, first.Id, null));

        // Assert
        Assert.Equal(ChainVerdict.Rejected, verdict);
        Assert.Equal(RejectReason.ChainMismatch, rejection!.Reason);
        Assert.Contains(stranger.ToString(), rejection.Detail, StringComparison.Ordinal);
        Assert.Contains(first.Id.ToString(), rejection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SameIdAlreadyAtSeq_IsDuplicate()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));

        // Act
        var (verdict, rejection) = ChainRules.Check(first, new ChainState(1, first.Id, first.Id));

        // Assert
        Assert.Equal(ChainVerdict.Duplicate, verdict);
        Assert.Null(rejection);
    }

    [Fact]
    public void Check_OtherIdAlreadyAtSeq_IsEquivocationNamingBothIds()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        var fork = _author.WriteAt(TestRecords.AdvisoryDraft("one, again"), 1, default);

        // Act
        var (verdict, rejection) = ChainRules.Check(fork, new ChainState(1, first.Id, first.Id));

        // Assert
        Assert.Equal(ChainVerdict.Rejected, verdict);
        Assert.Equal(RejectReason.Equivocation, rejection!.Reason);
        Assert.Contains(first.Id.ToString(), rejection.Detail, StringComparison.Ordinal);
        Assert.Contains(fork.Id.ToString(), rejection.Detail, StringComparison.Ordinal);
    }

    // --- RecordStore ----------------------------------------------------------------------------

    [Fact]
    public void Insert_Seq1ThenSeq2_StoresBothAndMovesTheHead()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        var second = _author.Write(TestRecords.AdvisoryDraft("two"));

        // Act
        var outcome1 = _store.Insert(first);
        var outcome2 = _store.Insert(second);

        // Assert
        Assert.Equal(StoreStatus.Stored, outcome1.Status);
        Assert.Equal(StoreStatus.Stored, outcome2.Status);
        Assert.Equal((2UL, second.Id), _store.GetHead(_author.Id, Channels.Mesh));
        Assert.Equal(2, _store.Counts().Total);
    }

    [Fact]
    public void Insert_Seq3WithoutSeq2_IsChainGapAndNotStored()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        _author.Write(TestRecords.AdvisoryDraft("two"));
        var third = _author.Write(TestRecords.AdvisoryDraft("three"));
        _store.Insert(first);

        // Act
        var outcome = _store.Insert(third);

        // Assert
        Assert.Equal(StoreStatus.Rejected, outcome.Status);
        Assert.Equal(RejectReason.ChainGap, outcome.Rejection!.Reason);
        Assert.Null(_store.Get(third.Id));
        Assert.Equal(1, _store.Counts().Total);
    }

    [Fact]
    public void Insert_Seq2WithWrongPrev_IsChainMismatchAndNotStored()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        _store.Insert(first);
        var wrongPrev = _author.WriteAt(TestRecords.AdvisoryDraft("two"), 2, RecordId.FromBytes(new byte[32]));

        // Act
        var outcome = _store.Insert(wrongPrev);

        // Assert
        Assert.Equal(StoreStatus.Rejected, outcome.Status);
        Assert.Equal(RejectReason.ChainMismatch, outcome.Rejection!.Reason);
        Assert.Null(_store.Get(wrongPrev.Id));
    }

    [Fact]
    public void Insert_SameRecordTwice_IsDuplicateAndCountUnchanged()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        _store.Insert(first);
        var before = _store.Counts().Total;

        // Act
        var again = _store.Insert(first);
        var viaWire = _store.Insert(_validator.MustValidate(first.ToWire()));

        // Assert
        Assert.Equal(StoreStatus.Duplicate, again.Status);
        Assert.Null(again.Rejection);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(StoreStatus.Duplicate, viaWire.Status);
        Assert.Equal(before, _store.Counts().Total);
        Assert.Empty(_store.ForkProofs());
    }

    [Fact]
    public void Insert_DuplicateWithPayloadAfterHeaderOnly_FillsInThePayload()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        _store.Insert(first.WithoutPayload());
        var headerOnly = _store.Get(first.Id);

        // Act
        var outcome = _store.Insert(first);
        var filled = _store.Get(first.Id);

        // Assert
        Assert.Null(headerOnly!.Payload);
        Assert.False(headerOnly.IsPurged);
        Assert.Equal(StoreStatus.Duplicate, outcome.Status);
        Assert.Equal(first.Payload, filled!.Payload);
    }

    [Fact]
    public void Insert_SecondHeaderAtSameSeq_IsEquivocationAndStoresForkProof()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("the truth"));
        _store.Insert(first);
        var fork = _author.WriteAt(TestRecords.AdvisoryDraft("another truth"), 1, default);

        // Act
        var outcome = _store.Insert(fork);
        var proofs = _store.ForkProofs();

        // Assert
        Assert.Equal(StoreStatus.Rejected, outcome.Status);
        Assert.Equal(RejectReason.Equivocation, outcome.Rejection!.Reason);
        Assert.Contains(first.Id.ToString(), outcome.Rejection.Detail, StringComparison.Ordinal);
        var proof = Assert.Single(proofs);
        Assert.Equal(_author.Id, proof.Author);
        Assert.Equal(Channels.Mesh, proof.Channel);
        Assert.Equal(1UL, proof.Seq);
        Assert.Equal(first.Id, proof.FirstId);
        Assert.Equal(fork.Id, proof.SecondId);
        Assert.Equal(fork.HeaderBytes, proof.SecondHeader);
        Assert.Equal(fork.Signature, proof.SecondSignature);
        Assert.Equal(TestClock.Start.ToUnixTimeMilliseconds(), proof.DetectedUnixMs);
        Assert.Equal(first.Id, _store.Get(first.Id)!.Id);
        Assert.Null(_store.Get(fork.Id));
        Assert.Equal(1, _store.Counts().Total);
    }

    [Fact]
    public void Insert_SameForkOfferedTwice_KeepsOneForkProof()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("the truth"));
        _store.Insert(first);
        var fork = _author.WriteAt(TestRecords.AdvisoryDraft("another truth"), 1, default);

        // Act
        _store.Insert(fork);
        var second = _store.Insert(fork);

        // Assert
        Assert.Equal(RejectReason.Equivocation, second.Rejection?.Reason);
        Assert.Single(_store.ForkProofs());
    }

    [Fact]
    public void InsertBatch_GoodBadGood_StoresTheGoodOnesAndRejectsOnlyTheBadOne()
    {
        // Arrange
        var good1 = _author.Write(TestRecords.AdvisoryDraft("one"));
        var bad = _author.WriteAt(TestRecords.AdvisoryDraft("forged two"), 2, RecordId.FromBytes(new byte[32]));
        var good2 = _author.Write(TestRecords.AdvisoryDraft("two"));

        // Act
        var outcomes = _store.InsertBatch([good1, bad, good2]);

        // Assert
        Assert.Equal([StoreStatus.Stored, StoreStatus.Rejected, StoreStatus.Stored], outcomes.Select(o => o.Status));
        Assert.Equal(RejectReason.ChainMismatch, outcomes[1].Rejection!.Reason);
        Assert.Equal([good1.Id, bad.Id, good2.Id], outcomes.Select(o => o.Id));
        Assert.NotNull(_store.Get(good1.Id));
        Assert.NotNull(_store.Get(good2.Id));
        Assert.Null(_store.Get(bad.Id));
        Assert.Equal((2UL, good2.Id), _store.GetHead(_author.Id, Channels.Mesh));
    }

    [Fact]
    public void InsertBatch_WithGapAndForkInTheMiddle_StoresTheGoodOnesAndRecordsTheFork()
    {
        // Arrange
        var good1 = _author.Write(TestRecords.AdvisoryDraft("one"));
        var fork = _author.WriteAt(TestRecords.AdvisoryDraft("forked one"), 1, default);
        var gap = _author.WriteAt(TestRecords.AdvisoryDraft("five"), 5, good1.Id);
        var good2 = _author.Write(TestRecords.AdvisoryDraft("two"));

        // Act
        var outcomes = _store.InsertBatch([good1, fork, gap, good1, good2]);

        // Assert
        Assert.Equal(
            [StoreStatus.Stored, StoreStatus.Rejected, StoreStatus.Rejected, StoreStatus.Duplicate, StoreStatus.Stored],
            outcomes.Select(o => o.Status));
        Assert.Equal(RejectReason.Equivocation, outcomes[1].Rejection!.Reason);
        Assert.Equal(RejectReason.ChainGap, outcomes[2].Rejection!.Reason);
        Assert.Equal(2, _store.Counts().Total);
        Assert.Equal(fork.Id, Assert.Single(_store.ForkProofs()).SecondId);
    }

    [Fact]
    public void Insert_RecordOnAnotherChannel_StartsItsOwnChainAtSeq1()
    {
        // Arrange
        using var recipient = NodeIdentity.Create();
        var mesh1 = _author.Write(TestRecords.AdvisoryDraft("mesh one"));
        var mesh2 = _author.Write(TestRecords.AdvisoryDraft("mesh two"));
        var restricted = _author.Write(TestRecords.AdvisoryDraft("for one city", Tlp.Red) with { Audience = [recipient.Id] });
        var channel = RecordWriter.ChannelOf(TestRecords.AdvisoryDraft("for one city", Tlp.Red) with { Audience = [recipient.Id] });

        // Act
        var outcomes = _store.InsertBatch([mesh1, mesh2, restricted]);

        // Assert
        Assert.All(outcomes, o => Assert.Equal(StoreStatus.Stored, o.Status));
        Assert.Equal(1UL, restricted.Seq);
        Assert.Equal(32, channel.Length);
        Assert.False(Channels.IsMesh(channel));
        Assert.Equal(channel, restricted.Channel.ToArray());
        Assert.Equal((2UL, mesh2.Id), _store.GetHead(_author.Id, Channels.Mesh));
        Assert.Equal((1UL, restricted.Id), _store.GetHead(_author.Id, channel));
    }

    [Fact]
    public void Insert_Seq2OnAFreshChannel_IsChainGapEvenWhenTheMeshChainIsAtSeq1()
    {
        // Arrange
        using var recipient = NodeIdentity.Create();
        var mesh1 = _author.Write(TestRecords.AdvisoryDraft("mesh one"));
        _store.Insert(mesh1);
        var onOtherChannel = _author.WriteAt(TestRecords.AdvisoryDraft("restricted", Tlp.Amber) with { Audience = [recipient.Id] }, 2, mesh1.Id);

        // Act
        var outcome = _store.Insert(onOtherChannel);

        // Assert
        Assert.Equal(RejectReason.ChainGap, outcome.Rejection?.Reason);
    }

    [Fact]
    public void Insert_TwoAuthorsOnTheMeshChannel_KeepSeparateChains()
    {
        // Arrange
        using var other = new TestAuthor(_validator, _time);
        var a1 = _author.Write(TestRecords.AdvisoryDraft("a one"));
        var b1 = other.Write(TestRecords.AdvisoryDraft("b one"));
        var a2 = _author.Write(TestRecords.AdvisoryDraft("a two"));

        // Act
        var outcomes = _store.InsertBatch([a1, b1, a2]);

        // Assert
        Assert.All(outcomes, o => Assert.Equal(StoreStatus.Stored, o.Status));
        Assert.Equal((2UL, a2.Id), _store.GetHead(_author.Id, Channels.Mesh));
        Assert.Equal((1UL, b1.Id), _store.GetHead(other.Id, Channels.Mesh));
    }
}
