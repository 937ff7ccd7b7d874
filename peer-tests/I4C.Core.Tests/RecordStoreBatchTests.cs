using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>The store's replication paths: inbound batches committed without their own flush, paged scans, audit rows for several peers at once.</summary>
[Trait("Category", "Unit")]
public sealed class RecordStoreBatchTests : IDisposable
{
    private const long SynchronousFull = 2;

    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly TestAuthor _first;
    private readonly TestAuthor _second;
    private readonly TempDirectory _dir = new();
    private readonly string _path;
    private RecordStore _store;

    public RecordStoreBatchTests()
    {
        _validator = new RecordValidator(RecordLimits.Default, _time);
        _first = new TestAuthor(_validator, _time);
        _second = new TestAuthor(_validator, _time);
        _path = _dir.File("batch.db");
        _store = RecordStore.Open(_path, _time);
    }

    public void Dispose()
    {
        _store.Dispose();
        _first.Dispose();
        _second.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void InsertBatch_NotDurable_SameOutcomesAsDurableAndConnectionBackToFull()
    {
        // Arrange: a good record, a gap, a duplicate and a good successor, the mix a peer's frame can carry.
        var one = _first.Write(TestRecords.AdvisoryDraft("one"));
        var two = _first.Write(TestRecords.AdvisoryDraft("two"));
        var three = _first.Write(TestRecords.AdvisoryDraft("three"));
        var four = _first.Write(TestRecords.AdvisoryDraft("four"));

        // Act
        var outcomes = _store.InsertBatch([one, three, one, two], durable: false);

        // Assert
        Assert.Equal([StoreStatus.Stored, StoreStatus.Rejected, StoreStatus.Duplicate, StoreStatus.Stored], outcomes.Select(o => o.Status));
        Assert.Equal(RejectReason.ChainGap, outcomes[1].Rejection!.Reason);
        Assert.Equal(SynchronousFull, _store.SynchronousLevel());
        Assert.Equal(StoreStatus.Stored, _store.Insert(three).Status);
        Assert.Equal(StoreStatus.Stored, _store.InsertBatch([four], durable: true)[0].Status);
        Assert.Equal(SynchronousFull, _store.SynchronousLevel());
    }

    [Fact]
    public void InsertBatch_NotDurableThenReopen_RecordsAndHeadKept()
    {
        // Arrange
        var records = Enumerable.Range(1, 5).Select(i => _first.Write(TestRecords.AdvisoryDraft($"r{i}"))).ToList();

        // Act: committed without its own flush, then the store is closed (the WAL is checkpointed) and opened again.
        _store.InsertBatch(records, durable: false);
        _store.Dispose();
        _store = RecordStore.Open(_path, _time);

        // Assert
        Assert.Equal(5, _store.Count());
        Assert.Equal((5UL, records[^1].Id), _store.GetHead(_first.Id, Channels.Mesh));
        Assert.Equal(SynchronousFull, _store.SynchronousLevel());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void EnumerateAll_SeveralChainsAcrossPageBoundaries_SameRecordsInSameOrderAsReadAll(int pageSize)
    {
        // Arrange: three chains of different lengths (two authors; one author also on a named-audience channel).
        var records = new List<ValidatedRecord>();
        for (var i = 0; i < 7; i++)
        {
            records.Add(_first.Write(TestRecords.AdvisoryDraft($"a{i}")));
        }
        for (var i = 0; i < 4; i++)
        {
            records.Add(_second.Write(TestRecords.AdvisoryDraft($"b{i}")));
        }
        for (var i = 0; i < 3; i++)
        {
            records.Add(_first.Write(TestRecords.AdvisoryDraft($"c{i}") with { Tlp = Tlp.Amber, Audience = [_second.Id] }));
        }
        Assert.All(_store.InsertBatch(records), o => Assert.Equal(StoreStatus.Stored, o.Status));

        // Act
        var paged = _store.EnumerateAll(pageSize).Select(r => r.Id).ToList();

        // Assert
        Assert.Equal(_store.ReadAll().Select(r => r.Id), paged);
        Assert.Equal(records.Count, paged.Distinct().Count());
    }

    [Fact]
    public void Range_CountBytesAndSeqBounds_OneChainInSeqOrder()
    {
        // Arrange: five records of one chain (the third purged), one of another author.
        var chain = Enumerable.Range(1, 5).Select(i => _first.Write(TestRecords.AdvisoryDraft($"record {i}"))).ToList();
        Assert.All(_store.InsertBatch(chain), o => Assert.Equal(StoreStatus.Stored, o.Status));
        Assert.Equal(StoreStatus.Stored, _store.Insert(_second.Write(TestRecords.AdvisoryDraft("another chain"))).Status);
        Assert.True(_store.Purge(chain[2].Id, "test purge"));
        var author = _first.Id.ToBytes();
        var channel = chain[0].Channel.ToArray();
        long Size(ValidatedRecord r) => r.HeaderBytes.Length + r.Signature.Length + (r.Payload?.Length ?? 0);

        // Act
        var all = _store.Range(author, channel, 1, ulong.MaxValue, 100, long.MaxValue);
        var middle = _store.Range(author, channel, 2, 4, 100, long.MaxValue);
        var two = _store.Range(author, channel, 1, 5, 2, long.MaxValue);
        var bytesForTwo = _store.Range(author, channel, 1, 5, 100, Size(chain[0]) + Size(chain[1]));
        var oneOverBudget = _store.Range(author, channel, 4, 5, 100, 1);
        var none = _store.Range(author, channel, 4, 3, 100, long.MaxValue);
        var noCount = _store.Range(author, channel, 1, 5, 0, long.MaxValue);

        // Assert
        Assert.Equal(chain.Select(r => r.Id), all.Select(r => r.Id));
        Assert.All(all.Zip(chain), p => Assert.Equal(p.Second.HeaderBytes, p.First.HeaderBytes));
        Assert.All(all.Zip(chain), p => Assert.Equal(p.Second.Signature, p.First.Signature));
        Assert.All(all.Zip(chain), p => Assert.Equal(p.Second.Seq, p.First.Header.Seq));
        Assert.Null(all[2].Payload);
        Assert.Equal("test purge", all[2].PurgeReason);
        Assert.NotNull(all[2].PurgedUnixMs);
        Assert.Equal(chain[3].Payload, all[3].Payload);
        Assert.Null(all[3].PurgedUnixMs);
        Assert.Null(all[3].PurgeReason);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), all[0].ReceivedUnixMs);
        Assert.Equal([2UL, 3UL, 4UL], middle.Select(r => r.Header.Seq));
        Assert.Equal([1UL, 2UL], two.Select(r => r.Header.Seq));
        Assert.Equal([1UL, 2UL], bytesForTwo.Select(r => r.Header.Seq));
        Assert.Equal([4UL], oneOverBudget.Select(r => r.Header.Seq)); // at least one record, whatever the budget
        Assert.Empty(none);
        Assert.Empty(noCount);
    }

    [Fact]
    public void EnumerateAll_RecordStoredAheadOfTheScan_IsSeen()
    {
        // Arrange
        for (var i = 0; i < 4; i++)
        {
            _store.Insert(_first.Write(TestRecords.AdvisoryDraft($"a{i}")));
        }
        var later = _first.Write(TestRecords.AdvisoryDraft("later"));

        // Act: the store's lock is not held between pages, so an insert between them succeeds.
        var seen = new List<ulong>();
        foreach (var record in _store.EnumerateAll(pageSize: 2))
        {
            seen.Add(record.Header.Seq);
            if (seen.Count == 1)
            {
                Assert.Equal(StoreStatus.Stored, _store.Insert(later).Status);
            }
        }

        // Assert
        Assert.Equal([1UL, 2, 3, 4, 5], seen);
    }

    [Fact]
    public void EnumerateAll_PageSizeZero_Throws()
    {
        // Act & Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => _store.EnumerateAll(0).ToList());
    }

    [Fact]
    public void AddAudit_SeveralPeersInOneCall_OneEntryPerPeerAndNonClearRecord()
    {
        // Arrange
        var green = _first.Write(TestRecords.AdvisoryDraft("green"));
        var clear = _first.Write(TestRecords.AdvisoryDraft("clear", Tlp.Clear));
        _store.InsertBatch([green, clear]);

        // Act
        _store.AddAudit([(_second.Id, green.Header, green.Id), (_second.Id, clear.Header, clear.Id), (_first.Id, green.Header, green.Id)]);

        // Assert
        var entries = _store.Audit(null, 10);
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal(green.Id, e.Record));
        Assert.Equal(new[] { _first.Id, _second.Id }.OrderBy(p => p.Text), entries.Select(e => e.Peer).OrderBy(p => p.Text));
    }

    [Fact]
    public void AddAudit_ConsecutiveRecordsOfAChain_OneRangeRowThatEveryRecordOfItFinds()
    {
        // Arrange: a chain of five, the middle one CLEAR.
        var records = Enumerable.Range(1, 5).Select(i => _first.Write(TestRecords.AdvisoryDraft($"r{i}", i == 3 ? Tlp.Clear : Tlp.Green))).ToList();
        _store.InsertBatch(records);

        // Act: records 1–4 to the second author, then 5 a minute later.
        _store.AddAudit(records.Take(4).Select(r => (_second.Id, r.Header, r.Id)));
        _time.Advance(TimeSpan.FromMinutes(1));
        _store.AddAudit([(_second.Id, records[4].Header, records[4].Id)]);

        // Assert: two rows, read back as one entry per non-CLEAR record, newest first.
        using (var sqlite = RecordStore.OpenConnection(_path))
        using (var count = sqlite.CreateCommand())
        {
            count.CommandText = "SELECT COUNT(*) FROM audit_ranges";
            Assert.Equal(2L, (long)count.ExecuteScalar()!);
        }
        var all = _store.Audit(null, 10);
        Assert.Equal([records[4].Id, records[3].Id, records[1].Id, records[0].Id], all.Select(e => e.Record));
        Assert.All(all, e => Assert.Equal(_second.Id, e.Peer));
        Assert.Equal(Tlp.Green, all[0].Tlp);
        Assert.True(all[0].SentUnixMs > all[1].SentUnixMs);
        Assert.Single(_store.Audit(records[1].Id, 10));
        Assert.Empty(_store.Audit(records[2].Id, 10)); // CLEAR: never audited
        Assert.Equal(2, _store.Audit(null, 2).Count);
    }
}
