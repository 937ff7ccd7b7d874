using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>Databases written by older schema versions open, migrate and keep working.</summary>
[Trait("Category", "Unit")]
public sealed class MigrationTests : IDisposable
{
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly TestAuthor _author;
    private readonly TempDirectory _dir = new();
    private readonly string _dbPath;

    public MigrationTests()
    {
        _validator = new RecordValidator(RecordLimits.Default, _time);
        _author = new TestAuthor(_validator, _time);
        _dbPath = _dir.File("old.db");
    }

    public void Dispose()
    {
        _author.Dispose();
        _dir.Dispose();
    }

    /// <summary>Inserts a record the way schema version 1 stored it: a records row and a payloads row.</summary>
    private static void InsertV1Row(SqliteConnection connection, ValidatedRecord record, long receivedMs) => InsertRow(connection, record, receivedMs, 1);

    /// <summary>Inserts a record the way the given schema version stored it: before 6 a records row and a payloads row, from 6 one row.</summary>
    private static void InsertRow(SqliteConnection connection, ValidatedRecord record, long receivedMs, int version)
    {
        using var command = connection.CreateCommand();
        command.CommandText = version >= 6
            ? """
              INSERT INTO records (id, author, channel, seq, kind, tlp, created_ms, expires_ms, header, signature, received_ms, payload)
              VALUES ($id, $a, $c, $s, $k, $t, $cr, $ex, $h, $g, $r, $b);
              """
            : """
              INSERT INTO records (id, author, channel, seq, kind, tlp, created_ms, expires_ms, header, signature, received_ms)
              VALUES ($id, $a, $c, $s, $k, $t, $cr, $ex, $h, $g, $r);
              INSERT INTO payloads (record_id, bytes) VALUES ($id, $b);
              """;
        command.Parameters.AddWithValue("$id", record.Id.ToArray());
        command.Parameters.AddWithValue("$a", record.Author.ToBytes());
        command.Parameters.AddWithValue("$c", record.Channel.ToArray());
        command.Parameters.AddWithValue("$s", (long)record.Seq);
        command.Parameters.AddWithValue("$k", (long)record.Header.Kind);
        command.Parameters.AddWithValue("$t", (long)record.Header.Tlp);
        command.Parameters.AddWithValue("$cr", record.Header.CreatedUnixMs);
        command.Parameters.AddWithValue("$ex", record.Header.ExpiresUnixMs);
        command.Parameters.AddWithValue("$h", record.HeaderBytes);
        command.Parameters.AddWithValue("$g", record.Signature);
        command.Parameters.AddWithValue("$r", receivedMs);
        command.Parameters.AddWithValue("$b", record.Payload!);
        command.ExecuteNonQuery();
    }

    private static void SetUserVersion(string path, int version)
    {
        using var connection = RecordStore.OpenConnection(path);
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA user_version = {version}";
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Latest_IsTheNumberOfSteps()
    {
        // Act / Assert
        Assert.Equal(Migrations.Steps.Count, Migrations.Latest);
        Assert.True(Migrations.Latest >= 3);
    }

    [Fact]
    public void Open_NewDatabase_IsAtTheLatestVersion()
    {
        // Act
        using var store = RecordStore.Open(_dbPath, _time);

        // Assert
        Assert.Equal(Migrations.Latest, store.SchemaVersion);
    }

    [Fact]
    public void Apply_ToTarget1_StopsAtVersion1()
    {
        // Arrange
        using var connection = RecordStore.OpenConnection(_dbPath);

        // Act
        var ran = Migrations.Apply(connection, target: 1);

        // Assert
        Assert.Equal(1, ran);
        Assert.Equal(1, Migrations.CurrentVersion(connection));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Open_DatabaseAtOldVersion_MigratesAndKeepsOldRecordsUsable(int oldVersion)
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("written by an old node"));
        var expiring = _author.Write(TestRecords.AdvisoryDraft("expires") with { ExpiresUnixMs = TestClock.Start.AddHours(1).ToUnixTimeMilliseconds() });
        using (var connection = RecordStore.OpenConnection(_dbPath))
        {
            Assert.Equal(oldVersion, Migrations.Apply(connection, target: oldVersion));
            InsertV1Row(connection, first, TestClock.Start.ToUnixTimeMilliseconds());
            InsertV1Row(connection, expiring, TestClock.Start.ToUnixTimeMilliseconds());
        }

        // Act
        using var store = RecordStore.Open(_dbPath, _time);
        var stored = store.Get(first.Id);

        // Assert: migrated, readable, verifiable.
        Assert.Equal(Migrations.Latest, store.SchemaVersion);
        Assert.NotNull(stored);
        Assert.Equal(first.HeaderBytes, stored.HeaderBytes);
        Assert.Equal(first.Payload, stored.Payload);
        Assert.False(stored.IsPurged);
        Assert.Null(stored.PurgeReason);
        Assert.True(_validator.Validate(stored.HeaderBytes, stored.Signature, stored.Payload).IsValid);
        Assert.Equal(2, store.Counts().Total);

        // Assert: the chain goes on, and purges and expiry work on the old rows.
        var third = _author.Write(TestRecords.AdvisoryDraft("written after the upgrade"));
        Assert.Equal(StoreStatus.Stored, store.Insert(third).Status);
        Assert.True(store.Purge(first.Id, "after upgrade"));
        var purged = store.Get(first.Id)!;
        Assert.Null(purged.Payload);
        Assert.Equal("after upgrade", purged.PurgeReason);
        Assert.True(_validator.Validate(purged.HeaderBytes, purged.Signature, null).IsValid);
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal([expiring.Id], store.PurgeExpired());
    }

    /// <summary>Every schema version before the latest: 1 … Latest-1.</summary>
    public static TheoryData<int> EarlierVersions()
    {
        var data = new TheoryData<int>();
        for (var v = 1; v < Migrations.Latest; v++)
        {
            data.Add(v);
        }
        return data;
    }

    private static void Exec(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(EarlierVersions))]
    public void Open_FromEveryEarlierVersion_EveryTableOfThatVersionKeepsItsRows(int oldVersion)
    {
        // Arrange: a database at oldVersion holding a row in every table that version has.
        var kept = _author.Write(TestRecords.AdvisoryDraft("kept across the upgrade"));
        var purged = _author.Write(TestRecords.AdvisoryDraft("purged before the upgrade"));
        var meshId = new byte[32];
        meshId[0] = 7;
        using (var connection = RecordStore.OpenConnection(_dbPath))
        {
            Assert.Equal(oldVersion, Migrations.Apply(connection, target: oldVersion));
            InsertRow(connection, kept, TestClock.Start.ToUnixTimeMilliseconds(), oldVersion);
            InsertRow(connection, purged, TestClock.Start.ToUnixTimeMilliseconds(), oldVersion);
            if (oldVersion >= 2)
            {
                Exec(connection, oldVersion >= 6
                    ? "UPDATE records SET purged_ms = 1, purge_reason = 'retracted', payload = NULL WHERE id = $id;"
                    : "UPDATE records SET purged_ms = 1, purge_reason = 'retracted' WHERE id = $id; DELETE FROM payloads WHERE record_id = $id;", ("$id", purged.Id.ToArray()));
                Exec(connection, "INSERT INTO retractions (target_id, retraction_id, author, reason) VALUES ($t, $r, $a, 'pending')",
                    ("$t", new byte[32]), ("$r", kept.Id.ToArray()), ("$a", kept.Author.ToBytes()));
                Exec(connection, "INSERT INTO fork_proofs VALUES ($a, $c, 9, $f, $s, $h, $g, 5)",
                    ("$a", kept.Author.ToBytes()), ("$c", kept.Channel.ToArray()), ("$f", kept.Id.ToArray()), ("$s", purged.Id.ToArray()), ("$h", purged.HeaderBytes), ("$g", purged.Signature));
            }
            if (oldVersion >= 4)
            {
                Exec(connection, "INSERT INTO mesh (singleton, mesh_id, document, adopted_ms) VALUES (1, $m, $d, 3)", ("$m", meshId), ("$d", new byte[] { 1, 2, 3 }));
                Exec(connection, "INSERT INTO heads (author, channel, seq, head_id, audience, red) VALUES ($a, $c, 2, $h, $e, 0)",
                    ("$a", kept.Author.ToBytes()), ("$c", kept.Channel.ToArray()), ("$h", purged.Id.ToArray()), ("$e", Array.Empty<byte>()));
            }
            if (oldVersion >= 5)
            {
                Exec(connection, oldVersion >= 7
                    ? "INSERT INTO audit_ranges (peer, author, channel, from_seq, to_seq, sent_ms) VALUES ($p, $a, $c, 1, 1, 4)"
                    : "INSERT INTO audit (record_id, peer, tlp, kind, sent_ms) VALUES ($r, $p, 2, 1, 4)",
                    ("$r", kept.Id.ToArray()), ("$p", new byte[32]), ("$a", kept.Author.ToBytes()), ("$c", kept.Channel.ToArray()));
                Exec(connection, "INSERT INTO receipts_sent (target, type, sent_ms) VALUES ($t, 1, 4)", ("$t", kept.Id.ToArray()));
            }
        }

        // Act
        using var store = RecordStore.Open(_dbPath, _time);

        // Assert: at the latest version, and nothing written before the upgrade is lost.
        Assert.Equal(Migrations.Latest, store.SchemaVersion);
        var stored = store.Get(kept.Id)!;
        Assert.Equal(kept.Payload, stored.Payload);
        Assert.True(_validator.Validate(stored.HeaderBytes, stored.Signature, stored.Payload).IsValid);
        Assert.Equal(2, store.Counts().Total);
        Assert.Equal((2UL, purged.Id), store.GetHead(kept.Author, kept.Channel));
        if (oldVersion >= 2)
        {
            Assert.True(store.Get(purged.Id)!.IsPurged);
            Assert.Equal("retracted", store.Get(purged.Id)!.PurgeReason);
            Assert.Single(store.ForkProofs());
        }
        if (oldVersion >= 4)
        {
            Assert.Equal(meshId, store.LoadMesh()!.Value.MeshId);
        }
        if (oldVersion >= 5)
        {
            Assert.True(store.ReceiptSent(kept.Id, 1));
            Assert.Single(store.Audit(kept.Id, 10));
        }
        using var check = RecordStore.OpenConnection(_dbPath);
        Assert.Equal(oldVersion >= 2 ? 1 : 0, Scalar(check, "SELECT COUNT(*) FROM retractions"));
        // Version 6 moved payloads into their records' rows: the old table is gone, a purged record holds none.
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'payloads'"));
        // Version 7 turned audit rows into chain ranges.
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit'"));
        Assert.Equal(oldVersion >= 5 ? 1 : 0, Scalar(check, "SELECT COUNT(*) FROM audit_ranges"));
        Assert.Equal(oldVersion >= 2 ? 1 : 0, Scalar(check, "SELECT COUNT(*) FROM records WHERE payload IS NULL"));
        // Version 8 rebuilt records without a key on the id, rowids (the feed's order) kept.
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM pragma_index_list('records') WHERE origin = 'pk'"));
        Assert.Equal(3, Scalar(check, "SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'records' AND name IN ('records_kind_tlp', 'records_expiry', 'records_kind_author')"));
        Assert.Equal([purged.Id, kept.Id], store.Feed(null, null, 10).Select(r => r.Id));
        // Version 9 moved the id index into its own two tables: every record's id prefix and rowid in record_ids.
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'records_id'"));
        Assert.Equal(Scalar(check, "SELECT COUNT(*) FROM records"), Scalar(check, "SELECT COUNT(*) FROM records r JOIN record_ids i ON i.rec = r.rowid AND i.prefix = substr(r.id, 1, 8)"));
        Assert.Equal(Scalar(check, "SELECT COUNT(*) FROM records"), Scalar(check, "SELECT COUNT(*) FROM record_ids"));
        Assert.Equal(0, Scalar(check, "SELECT COUNT(*) FROM recent_ids"));
        Assert.Equal(kept.HeaderBytes, store.Get(kept.Id)!.HeaderBytes);
        // The chain goes on after the upgrade.
        Assert.Equal(StoreStatus.Stored, store.Insert(_author.Write(TestRecords.AdvisoryDraft("after"))).Status);
    }

    [Fact]
    public void Open_FromVersion7WithManyRecords_RebuildsRecordsAndLeavesNoFileOfFreePages()
    {
        // Arrange: a version-7 database holding 400 records of 1 KiB, most of its pages records.
        var records = Enumerable.Range(0, 400).Select(i => _author.Write(TestRecords.AdvisoryDraft($"record {i} " + new string('x', 900)))).ToList();
        using (var connection = RecordStore.OpenConnection(_dbPath))
        {
            Assert.Equal(7, Migrations.Apply(connection, target: 7));
            using var tx = connection.BeginTransaction();
            foreach (var record in records)
            {
                InsertRow(connection, record, TestClock.Start.ToUnixTimeMilliseconds(), 7);
            }
            tx.Commit();
        }

        // Act: migration 8 copies every record into a new table and drops the old one.
        using var store = RecordStore.Open(_dbPath, _time);

        // Assert: the old table's pages are not left as free pages in the file, and every record is there.
        using var check = RecordStore.OpenConnection(_dbPath);
        var pages = Scalar(check, "PRAGMA page_count");
        Assert.True(Scalar(check, "PRAGMA freelist_count") * 4 <= pages, $"{Scalar(check, "PRAGMA freelist_count")} of {pages} pages free");
        Assert.Equal(400, store.Counts().Total);
        Assert.All(records, r => Assert.Equal(r.Payload, store.Get(r.Id)!.Payload));
        // The id index was built again after the compaction: one entry per record, each naming its row.
        Assert.Equal(400, Scalar(check, "SELECT COUNT(*) FROM records r JOIN record_ids i ON i.rec = r.rowid AND i.prefix = substr(r.id, 1, 8)"));
        Assert.Equal(400, Scalar(check, "SELECT COUNT(*) FROM record_ids") + Scalar(check, "SELECT COUNT(*) FROM recent_ids"));
        Assert.Equal(StoreStatus.Stored, store.Insert(_author.Write(TestRecords.AdvisoryDraft("after"))).Status);
    }

    [Fact]
    public void Open_AfterMigration_SetsUserVersionToLatest()
    {
        // Arrange
        using (var connection = RecordStore.OpenConnection(_dbPath))
        {
            Migrations.Apply(connection, target: 1);
        }

        // Act
        using (RecordStore.Open(_dbPath, _time))
        {
        }
        using var check = RecordStore.OpenConnection(_dbPath);

        // Assert
        Assert.Equal(Migrations.Latest, Migrations.CurrentVersion(check));
        Assert.Equal(0, Migrations.Apply(check));
    }

    [Fact]
    public void Open_DatabaseFromANewerVersion_IsRefusedNamingTheVersion()
    {
        // Arrange
        using (RecordStore.Open(_dbPath, _time))
        {
        }
        SetUserVersion(_dbPath, 42);

        // Act
        var ex = Assert.Throws<DataDirectoryException>(() => RecordStore.Open(_dbPath, _time));

        // Assert
        Assert.Contains("42", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Migrations.Latest.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_DatabaseFromANewerVersion_LeavesItUntouched()
    {
        // Arrange
        using (RecordStore.Open(_dbPath, _time))
        {
        }
        SetUserVersion(_dbPath, Migrations.Latest + 1);

        // Act
        Assert.Throws<DataDirectoryException>(() => RecordStore.Open(_dbPath, _time));
        using var check = RecordStore.OpenConnection(_dbPath);

        // Assert
        Assert.Equal(Migrations.Latest + 1, Migrations.CurrentVersion(check));
    }
}
