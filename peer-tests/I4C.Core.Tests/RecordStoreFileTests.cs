using System.Runtime.Versioning;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>The database files hold payloads up to TLP:RED: only the owner may read them.</summary>
[Trait("Category", "Unit")]
[UnsupportedOSPlatform("windows")]
public sealed class RecordStoreFileTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_NewDatabaseAndWrite_DatabaseAndWalFilesAreOwnerOnly()
    {
        // Arrange
        var path = _dir.File("modes.db");
        var validator = new RecordValidator(RecordLimits.Default, _time);
        using var author = new TestAuthor(validator, _time);

        // Act
        using var store = RecordStore.Open(path, _time);
        store.Insert(author.Write(TestRecords.AdvisoryDraft("written")));

        // Assert
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        foreach (var file in new[] { path + "-wal", path + "-shm" }.Where(File.Exists))
        {
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void Open_ExistingDatabaseAgain_WalRecreatedOwnerOnly()
    {
        // Arrange: the WAL is removed when the last connection closes, and made anew on the next open.
        var path = _dir.File("reopen.db");
        var validator = new RecordValidator(RecordLimits.Default, _time);
        using var author = new TestAuthor(validator, _time);
        using (RecordStore.Open(path, _time))
        {
        }

        // Act
        using var store = RecordStore.Open(path, _time);
        store.Insert(author.Write(TestRecords.AdvisoryDraft("written")));

        // Assert
        Assert.True(File.Exists(path + "-wal"));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path + "-wal"));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
    }
}
