using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Data.Sqlite;

namespace I4C.Core.Tests;

/// <summary>
/// Schema 9: records are found by id through an index of the id's first 8 bytes kept in two tables,
/// recent_ids (new ids) and record_ids (where they move in bulk), and the records table has no index
/// of the id. These tests hold the store to that: every lookup by id searches both tables, never the
/// records table; ids are found whichever table holds them, before and after a move and a reopen;
/// prefix search still finds exactly the ids it should; and a second row with a stored record's id
/// cannot be written.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RecordIdIndexTests : IDisposable
{
    private readonly StoreTestFiles _files = new("ids.db");

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Schema_TheIdIndexIsTwoTablesAndRecordsHaveNoIndexOfTheId()
    {
        // Act
        using (RecordStore.Open(_files.Path, _files.Time))
        {
            using var connection = RecordStore.OpenConnection(_files.Path);

            // Assert: both tiers keyed by (prefix, rec) without rowids; on records, no index that names the id.
            foreach (var table in new[] { "record_ids", "recent_ids" })
            {
                var sql = Text(connection, $"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'");
                Assert.Contains("PRIMARY KEY (prefix, rec)", sql, StringComparison.Ordinal);
                Assert.Contains("WITHOUT ROWID", sql, StringComparison.Ordinal);
            }
            Assert.Empty(Column(connection, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql LIKE '%id%' AND sql NOT LIKE '%kind%'"));
            var automatic = Column(connection, "SELECT name FROM pragma_index_list('records') WHERE origin <> 'c'");
            var columnsOfAutomatic = automatic.Select(index => string.Join(",", Column(connection, $"SELECT name FROM pragma_index_info('{index}')"))).ToList();
            Assert.Equal(["author,channel,seq"], columnsOfAutomatic);
        }
    }

    public static TheoryData<string, string> LookupsById() => new()
    {
        { "a record by id", "SELECT 1 FROM records WHERE " + RecordStore.IdIs("id", "$id") },
        { "a record by id, aliased", "SELECT r.header FROM records r WHERE " + RecordStore.IdIs("r.id", "$id") },
        { "a waiting retraction's target", "SELECT count(*) FROM retractions t WHERE NOT EXISTS (SELECT 1 FROM records r WHERE " + RecordStore.IdIs("r.id", "t.target_id") + ")" },
        { "a purge", "UPDATE records SET purged_ms = 1 WHERE " + RecordStore.IdIs("id", "$id") + " AND purged_ms IS NULL" },
    };

    [Theory]
    [MemberData(nameof(LookupsById))]
    public void LookupById_UsesTheIdIndex(string what, string sql)
    {
        // Arrange
        using var store = RecordStore.Open(_files.Path, _files.Time);
        using var connection = RecordStore.OpenConnection(_files.Path);

        // Act
        var plan = Column(connection, "EXPLAIN QUERY PLAN " + sql, ("$id", new byte[32]));

        // Assert: both tiers searched by their key, records reached by rowid, no table scanned.
        var steps = string.Join(" | ", plan);
        Assert.Contains(plan, step => step.StartsWith("SEARCH record_ids USING PRIMARY KEY (prefix=?)", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("SEARCH recent_ids USING PRIMARY KEY (prefix=?)", StringComparison.Ordinal));
        Assert.True(plan.Any(step => step.Contains("USING INTEGER PRIMARY KEY (rowid=?)", StringComparison.Ordinal)), $"{what}: {steps}");
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN r", StringComparison.Ordinal) || step.StartsWith("SCAN records", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(16_384)] // every id still in recent_ids
    [InlineData(64)] // most moved to record_ids, the last few in recent_ids
    public void FindByPrefix_EveryPrefixLength_FindsExactlyTheIdsThatStartWithIt(int recentIdsLimit)
    {
        // Arrange: 300 records, and prefixes of 1 to 20 hex digits (across the index's 16) taken from stored ids and from nothing stored.
        using var store = RecordStore.Open(_files.Path, _files.Time, recentIdsLimit);
        var ids = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var record = _files.Author.Write(TestRecords.AdvisoryDraft($"record {i}"));
            Assert.Equal(StoreStatus.Stored, store.Insert(record).Status);
            ids.Add(record.Id.ToString());
        }
        var prefixes = new List<string> { "0", "f", "ff", "00000000000000000", "ffffffffffffffffff" };
        for (var length = 1; length <= 20; length++)
        {
            prefixes.Add(ids[length * 7][..length]);
            prefixes.Add(ids[length * 11][..length].ToUpperInvariant());
        }

        foreach (var prefix in prefixes)
        {
            // Act
            var found = store.FindByPrefix(prefix, max: 400).Select(id => id.ToString()).ToList();

            // Assert: the same ids, in id order, as filtering all of them.
            var expected = ids.Where(id => id.StartsWith(prefix.ToLowerInvariant(), StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, found);
        }
        var two = store.FindByPrefix(ids[0][..1]);
        Assert.Equal(Math.Min(2, ids.Count(id => id[0] == ids[0][0])), two.Count);
    }

    [Fact]
    public void Get_AfterManyRecords_FindsEachByIdAndNothingForAnIdSharingItsFirst8Bytes()
    {
        // Arrange
        using var store = RecordStore.Open(_files.Path, _files.Time);
        var records = Enumerable.Range(0, 50).Select(i => _files.Author.Write(TestRecords.AdvisoryDraft($"record {i}"))).ToList();
        Assert.All(store.InsertBatch(records), outcome => Assert.Equal(StoreStatus.Stored, outcome.Status));
        var lookalike = records[17].Id.ToArray();
        lookalike[31] ^= 1;

        // Act + Assert
        Assert.All(records, r => Assert.Equal(r.HeaderBytes, store.Get(r.Id)!.HeaderBytes));
        Assert.Null(store.Get(RecordId.FromBytes(lookalike)));
        Assert.False(store.Contains(RecordId.FromBytes(lookalike)));
        Assert.False(store.Purge(RecordId.FromBytes(lookalike), "not stored"));
        Assert.False(store.Get(records[17].Id)!.IsPurged);
    }

    [Fact]
    public void Tiers_IdsMoveInBulk_AndEveryRecordIsFoundBeforeAndAfterAMoveAndAReopen()
    {
        // Arrange: a limit of 100 ids in recent_ids.
        var records = Enumerable.Range(0, 260).Select(i => _files.Author.Write(TestRecords.AdvisoryDraft($"record {i}"))).ToList();
        using (var store = RecordStore.Open(_files.Path, _files.Time, recentIdsLimit: 100))
        {
            // Act: 60 in one batch (below the limit), then 60 more (the batch that reaches it moves all 120).
            Assert.All(store.InsertBatch(records[..60]), o => Assert.Equal(StoreStatus.Stored, o.Status));
            Assert.Equal((0L, 60L), Tiers());
            Assert.All(records[..60], r => Assert.True(store.Contains(r.Id)));
            Assert.All(store.InsertBatch(records[60..120]), o => Assert.Equal(StoreStatus.Stored, o.Status));

            // Assert
            Assert.Equal((120L, 0L), Tiers());
            Assert.All(records[..120], r => Assert.Equal(r.HeaderBytes, store.Get(r.Id)!.HeaderBytes));

            // Act: 70 more, one at a time (each its own transaction), then close.
            foreach (var record in records[120..190])
            {
                Assert.Equal(StoreStatus.Stored, store.Insert(record).Status);
            }
            Assert.Equal((120L, 70L), Tiers());
        }

        // Act: reopened, the store counts the 70 still in recent_ids: 30 more reach the limit.
        using (var store = RecordStore.Open(_files.Path, _files.Time, recentIdsLimit: 100))
        {
            Assert.All(store.InsertBatch(records[190..220]), o => Assert.Equal(StoreStatus.Stored, o.Status));
            Assert.Equal((220L, 0L), Tiers());
            Assert.All(store.InsertBatch(records[220..]), o => Assert.Equal(StoreStatus.Stored, o.Status));

            // Assert: every record found by its id wherever its entry is, each entry naming its own row, none twice.
            Assert.Equal((220L, 40L), Tiers());
            Assert.All(records, r => Assert.Equal(r.HeaderBytes, store.Get(r.Id)!.HeaderBytes));
            using var connection = RecordStore.OpenConnection(_files.Path);
            Assert.Equal("260", Text(connection, """
                SELECT count(*) FROM records r
                JOIN (SELECT prefix, rec FROM record_ids UNION ALL SELECT prefix, rec FROM recent_ids) i ON i.rec = r.rowid AND i.prefix = substr(r.id, 1, 8)
                """));
        }

        (long Moved, long Recent) Tiers()
        {
            using var connection = RecordStore.OpenConnection(_files.Path);
            return (long.Parse(Text(connection, "SELECT count(*) FROM record_ids"), System.Globalization.CultureInfo.InvariantCulture),
                    long.Parse(Text(connection, "SELECT count(*) FROM recent_ids"), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Duplicate_StoredAgain_AddsNoSecondIdEntry()
    {
        // Arrange
        using var store = RecordStore.Open(_files.Path, _files.Time);
        var record = _files.Author.Write(TestRecords.AdvisoryDraft("once"));
        Assert.Equal(StoreStatus.Stored, store.Insert(record).Status);

        // Act
        var again = store.InsertBatch([record, record]);

        // Assert
        Assert.All(again, o => Assert.Equal(StoreStatus.Duplicate, o.Status));
        using var connection = RecordStore.OpenConnection(_files.Path);
        Assert.Equal("1", Text(connection, "SELECT (SELECT count(*) FROM record_ids) + (SELECT count(*) FROM recent_ids)"));
    }

    [Fact]
    public void RawInsert_ASecondRowWithAStoredRecordsId_IsRefusedByTheChainConstraint()
    {
        // Arrange: a stored record; its id is the hash of a header that names its (author, channel, seq).
        var record = _files.Author.Write(TestRecords.AdvisoryDraft("once"));
        using (var store = RecordStore.Open(_files.Path, _files.Time))
        {
            Assert.Equal(StoreStatus.Stored, store.Insert(record).Status);
        }
        using var connection = RecordStore.OpenConnection(_files.Path);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO records SELECT * FROM records";

        // Act
        var error = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());

        // Assert
        Assert.Contains("UNIQUE constraint failed: records.author, records.channel, records.seq", error.Message, StringComparison.Ordinal);
        Assert.Equal("1", Text(connection, "SELECT count(*) FROM records"));
    }

    private static string Text(SqliteConnection connection, string sql) => Column(connection, sql).Single();

    private static List<string> Column(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        var last = reader.FieldCount - 1;
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(last), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return values;
    }
}
