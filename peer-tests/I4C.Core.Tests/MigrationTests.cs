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
    private static void InsertV1Row(SqliteConnection connection, ValidatedRecord record, long receivedMs)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
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
