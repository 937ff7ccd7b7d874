using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Data.Sqlite;

namespace I4C.Core.Tests;

/// <summary>
/// Schema 8: records are found by id through an index of the id's first 8 bytes (records_id), and
/// the id has no index of its own. These tests hold the store to that: every lookup by id uses the
/// index, prefix search still finds exactly the ids it should, and a second row with a stored
/// record's id cannot be written.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RecordIdIndexTests : IDisposable
{
    private readonly StoreTestFiles _files = new("ids.db");

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Schema_RecordsHaveThePrefixIndexAndNoIndexOfTheWholeId()
    {
        // Act
        using (RecordStore.Open(_files.Path, _files.Time))
        {
            using var connection = RecordStore.OpenConnection(_files.Path);

            // Assert: records_id on substr(id, 1, 8); no automatic index (a PRIMARY KEY or UNIQUE) on id alone.
            Assert.Contains("substr(id, 1, 8)", Text(connection, "SELECT sql FROM sqlite_master WHERE name = 'records_id'"));
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

        // Assert: a search of records through records_id, never a scan of the table.
        Assert.True(plan.Any(step => step.Contains("records_id", StringComparison.Ordinal)), $"{what}: {string.Join(" | ", plan)}");
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN r", StringComparison.Ordinal) || step == "SCAN records");
    }

    [Fact]
    public void FindByPrefix_EveryPrefixLength_FindsExactlyTheIdsThatStartWithIt()
    {
        // Arrange: 300 records, and prefixes of 1 to 20 hex digits (across the index's 16) taken from stored ids and from nothing stored.
        using var store = RecordStore.Open(_files.Path, _files.Time);
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
