using I4C.Node.Tests.Infrastructure;
using I4C.Storage;
using Microsoft.Data.Sqlite;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Stopping a node releases what it holds: the endpoint file and the database.</summary>
[Trait("Category", "Integration")]
public sealed class HostLifecycleTests
{
    [Fact]
    public async Task NodeHost_Dispose_RemovesEndpointAndClosesDatabase()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        var node = await TestNode.StartInAsync(data);
        var id = (await node.Admin.PublishAsync(Requests.Advisory("closed cleanly"), Deadline()).ResponseAsync.WithTimeout()).Id;

        // Act
        await node.DisposeAsync();

        // Assert: a closed SQLite database in WAL mode is checkpointed into i4c.db and its -wal file removed,
        // so a copy of i4c.db alone (a common way to back up a stopped node) holds every record.
        Assert.False(File.Exists(Path.Combine(data, DataDirectory.EndpointFileName)));
        var copy = dir.Sub("backup.db");
        File.Copy(Path.Combine(data, DataDirectory.DatabaseFileName), copy);
        Assert.Equal(1L, CountRecords(copy, id));
        Assert.False(File.Exists(Path.Combine(data, DataDirectory.DatabaseFileName + "-wal")), "i4c.db-wal is still there: the node stopped without closing its database");
    }

    private static long CountRecords(string database, string id)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            return 0;
        }
        command.CommandText = "SELECT count(*) FROM records WHERE id = $id";
        command.Parameters.AddWithValue("$id", Convert.FromHexString(id));
        return (long)command.ExecuteScalar()!;
    }
}
