using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Data.Sqlite;

namespace I4C.Core.Tests;

/// <summary>The store's files: the page size of a new database, the WAL bound, and the background checkpointer.</summary>
[Trait("Category", "Unit")]
public sealed class RecordStoreWalTests : IDisposable
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(20);

    private readonly StoreTestFiles _files = new("wal.db");

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Open_NewDatabase_16KiBPagesAndWalBoundOf40MiB()
    {
        // Act
        using (RecordStore.Open(_files.Path, _files.Time))
        {
            using var connection = RecordStore.OpenConnection(_files.Path);

            // Assert
            Assert.Equal(RecordStore.NewDatabasePageSize, Pragma(connection, "page_size"));
            Assert.Equal(RecordStore.WalCheckpointBytes / RecordStore.NewDatabasePageSize, Pragma(connection, "wal_autocheckpoint"));
        }
    }

    [Fact]
    public void Open_DatabaseCreatedWith4KiBPages_KeepsThemAndStillStores()
    {
        // Arrange: a database file made the way nodes made them before (SQLite's default page size).
        using (var old = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _files.Path, Pooling = false }.ToString()))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE before_16k (x INTEGER);";
            command.ExecuteNonQuery();
        }

        // Act
        using var store = RecordStore.Open(_files.Path, _files.Time);
        var outcome = store.Insert(_files.Author.Write(TestRecords.AdvisoryDraft("on 4 KiB pages")));
        using var connection = RecordStore.OpenConnection(_files.Path);

        // Assert
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Equal(4096, Pragma(connection, "page_size"));
        Assert.Equal(RecordStore.WalCheckpointBytes / 4096, Pragma(connection, "wal_autocheckpoint"));
    }

    [Fact]
    public void InsertBatch_StoreStaysOpen_RecordReachesTheDatabaseFileWithoutAnyCheckpointOfTheWriter()
    {
        // Arrange: far below the writer's own checkpoint threshold, so only the background checkpointer copies it.
        var canary = "CANARY-" + Guid.NewGuid().ToString("N");
        using var store = RecordStore.Open(_files.Path, _files.Time);

        // Act
        store.InsertBatch([_files.Author.Write(TestRecords.AdvisoryDraft("canary", body: canary))], durable: false);
        var copied = WaitUntilCopied(store);

        // Assert
        Assert.True(copied, $"the checkpointer did not copy the log within {CatchUpTimeout.TotalSeconds:0} s: {store.CheckpointerState}");
        Assert.Null(store.CheckpointerState.LastError);
        Assert.True(FileContains(_files.Path, System.Text.Encoding.UTF8.GetBytes(canary)), "the record's payload is not in the database file while the store is open");
    }

    [Fact]
    public void InsertBatch_CheckpointerKeepsUpBetweenBatches_LogStartsOverInsteadOfGrowing()
    {
        // Arrange
        using var store = RecordStore.Open(_files.Path, _files.Time);
        long BatchOf(int n)
        {
            store.InsertBatch([.. Enumerable.Range(0, n).Select(i => _files.Author.Write(TestRecords.AdvisoryDraft($"r{i}", body: new string('x', 1000))))], durable: false);
            Assert.True(WaitUntilCopied(store), $"the checkpointer did not copy the log: {store.CheckpointerState}");
            return new FileInfo(_files.Path + "-wal").Length;
        }
        var afterFirst = BatchOf(200);

        // Act: four more batches of the same size, each copied before the next begins.
        long afterLast = 0;
        for (var i = 0; i < 4; i++)
        {
            afterLast = BatchOf(200);
        }

        // Assert: the log file is as long as about one batch, not five (each batch started it over).
        Assert.True(afterFirst > 0);
        Assert.True(afterLast < 2 * afterFirst, $"WAL is {afterLast} bytes after five batches, {afterFirst} after the first");
        Assert.Equal(1000, store.Count());
    }

    [Fact]
    public void Dispose_AfterBackgroundCheckpoints_LogRemovedAndRecordsKept()
    {
        // Arrange
        var store = RecordStore.Open(_files.Path, _files.Time);
        store.InsertBatch([.. Enumerable.Range(0, 50).Select(i => _files.Author.Write(TestRecords.AdvisoryDraft($"r{i}")))], durable: false);
        Assert.True(WaitUntilCopied(store));

        // Act
        store.Dispose();

        // Assert: the store's own connection closed last, checkpointed and removed the log.
        Assert.False(File.Exists(_files.Path + "-wal"), "the WAL file is left after the store closed");
        using var reopened = RecordStore.Open(_files.Path, _files.Time);
        Assert.Equal(50, reopened.Count());
    }

    [Fact]
    public void InsertBatch_RowInsertFailsMidBatch_SqliteErrorNothingOfTheBatchStoredAndTheStoreKeepsWorking()
    {
        // Arrange: a trigger (added on a second connection) makes SQLite refuse the third record's row,
        // as a full disk or an I/O error would, in the middle of the batch.
        using var store = RecordStore.Open(_files.Path, _files.Time);
        var records = Enumerable.Range(1, 4).Select(i => _files.Author.Write(TestRecords.AdvisoryDraft($"r{i}"))).ToList();
        using (var other = RecordStore.OpenConnection(_files.Path))
        {
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TRIGGER refuse_third BEFORE INSERT ON records WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;";
            command.ExecuteNonQuery();
        }

        // Act
        var error = Assert.Throws<SqliteException>(() => store.InsertBatch(records, durable: false));

        // Assert: the error says what SQLite said, the whole batch rolled back, and once the cause is
        // gone the same batch (and the prepared insert with it) works.
        Assert.Contains("refused by the test", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Count());
        Assert.Equal(0UL, store.GetHead(_files.Author.Id, Channels.Mesh).Seq);
        using (var other = RecordStore.OpenConnection(_files.Path))
        {
            using var command = other.CreateCommand();
            command.CommandText = "DROP TRIGGER refuse_third";
            command.ExecuteNonQuery();
        }
        Assert.All(store.InsertBatch(records, durable: false), o => Assert.Equal(StoreStatus.Stored, o.Status));
        Assert.Equal(4, store.Count());
    }

    private static bool WaitUntilCopied(RecordStore store)
    {
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        var before = store.CheckpointerState.Checkpoints;
        while (DateTime.UtcNow < deadline)
        {
            var state = store.CheckpointerState;
            if (state.Checkpoints > before && state.LogFrames > 0 && state.CopiedFrames == state.LogFrames)
            {
                return true;
            }
            Thread.Sleep(20);
        }
        return false;
    }

    private static long Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool FileContains(string path, byte[] needle)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes.AsSpan().IndexOf(needle) >= 0;
    }
}
