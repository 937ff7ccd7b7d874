using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>`i4c backup` of a running node and `i4c restore` into an empty directory, both verified.</summary>
[Trait("Category", "Integration")]
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task BackupWhilePublishing_RestoreIntoFreshDirectory_EveryAcknowledgedRecordPresentAndVerifies()
    {
        // Arrange: a node with records, and a task that keeps publishing during the backup.
        using var dir = new TempDirectory();
        var backup = dir.Sub("node.i4cbackup");
        var restored = dir.Sub("restored");
        string nodeId;
        var acknowledged = new ConcurrentQueue<(string Id, DateTimeOffset At)>();
        DateTimeOffset backupStarted;
        await using (var node = await TestNode.StartAsync())
        {
            nodeId = (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).NodeId;
            for (var i = 0; i < 20; i++)
            {
                var tlp = i % 3 == 0 ? Tlp.Amber : Tlp.Green;
                acknowledged.Enqueue(((await node.Admin.PublishAsync(Requests.Advisory($"before {i}", tlp: tlp), Deadline()).ResponseAsync.WithTimeout()).Id, DateTimeOffset.UtcNow));
            }
            using var stop = new CancellationTokenSource();
            var publisher = Task.Run(async () =>
            {
                var n = 0;
                while (!stop.IsCancellationRequested)
                {
                    var reply = await node.Admin.PublishAsync(Requests.Advisory($"during {n++}"), Deadline()).ResponseAsync;
                    acknowledged.Enqueue((reply.Id, DateTimeOffset.UtcNow));
                }
            });
            await Retry.UntilAsync(() => acknowledged.Count >= 25, TestTimeouts.Default, "publishing under way");

            // Act: back up while the publisher runs.
            backupStarted = DateTimeOffset.UtcNow;
            var result = await CliRunner.RunAsync("backup", "--data", node.DataPath, "--out", backup);
            await stop.CancelAsync();
            await publisher.WithTimeout();
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("private keys", result.Stdout, StringComparison.Ordinal);
        }
        var before = acknowledged.Where(a => a.At < backupStarted).Select(a => a.Id).ToList();
        var restore = await CliRunner.RunAsync("restore", backup, "--data", restored);

        // Assert: the archive and the restored directory are private; every record acknowledged before the backup is back and verifies.
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("600", FileModes.Octal(FileModes.Of(backup)));
        Assert.Equal("700", FileModes.Octal(FileModes.Of(restored)));
        Assert.Equal("600", FileModes.Octal(FileModes.Of(Path.Combine(restored, DataDirectory.KeyFileName))));
        Assert.Equal("600", FileModes.Octal(FileModes.Of(Path.Combine(restored, DataDirectory.DatabaseFileName))));
        Assert.False(File.Exists(Path.Combine(restored, DataDirectory.TokenFileName)));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
        await using var again = await TestNode.StartInAsync(restored);
        var status = await again.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal(nodeId, status.NodeId);
        foreach (var id in before)
        {
            var shown = await again.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout();
            Assert.NotNull(shown);
        }
        var verify = await CliRunner.RunAsync("verify", "--data", restored);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        // The restored node keeps writing its chain.
        await again.Admin.PublishAsync(Requests.Advisory("after the restore"), Deadline()).ResponseAsync.WithTimeout();
    }

    [Fact]
    public async Task Backup_Json_ReportsRecordsAndHash()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        await node.Admin.PublishAsync(Requests.Advisory(), Deadline()).ResponseAsync.WithTimeout();
        using var dir = new TempDirectory();

        // Act
        var result = await CliRunner.RunAsync("backup", "--json", "--data", node.DataPath, "--out", dir.Sub("b.tar"));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(1, json["records"]!.GetValue<long>());
        Assert.Equal(64, json["sha256"]!.GetValue<string>().Length);
        Assert.Equal(1, BackupArchive.Verify(dir.Sub("b.tar")).Records);
    }

    public static TheoryData<string> Damage => new() { "flip", "truncate", "empty", "not-a-tar" };

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task Restore_DamagedArchive_ClearErrorAndNothingWritten(string damage)
    {
        // Arrange
        using var dir = new TempDirectory();
        var backup = dir.Sub("b.tar");
        await using (var node = await TestNode.StartAsync())
        {
            for (var i = 0; i < 5; i++)
            {
                await node.Admin.PublishAsync(Requests.Advisory($"r{i}"), Deadline()).ResponseAsync.WithTimeout();
            }
            Assert.Equal(0, (await CliRunner.RunAsync("backup", "--data", node.DataPath, "--out", backup)).ExitCode);
        }
        var bytes = await File.ReadAllBytesAsync(backup);
        switch (damage)
        {
            case "flip":
                bytes[bytes.Length / 2] ^= 0x5A;
                break;
            case "truncate":
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case "empty":
                bytes = [];
                break;
            default:
                bytes = "this is not a backup"u8.ToArray();
                break;
        }
        await File.WriteAllBytesAsync(backup, bytes);
        var target = dir.Sub("restored");

        // Act
        var result = await CliRunner.RunAsync("restore", backup, "--data", target);

        // Assert
        Assert.Equal(12, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("i4c: " + backup, result.ErrorLines[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
        Assert.Equal(["b.tar"], Directory.GetFileSystemEntries(dir.Path).Select(e => Path.GetFileName(e)!).ToArray());
    }

    [Fact]
    public async Task Restore_IntoNonEmptyDirectory_RefusedAndUntouched()
    {
        // Arrange
        using var dir = new TempDirectory();
        var backup = dir.Sub("b.tar");
        await using (var node = await TestNode.StartAsync())
        {
            Assert.Equal(0, (await CliRunner.RunAsync("backup", "--data", node.DataPath, "--out", backup)).ExitCode);
        }
        var target = dir.Sub("busy");
        Directory.CreateDirectory(target);
        await File.WriteAllTextAsync(Path.Combine(target, "keep.txt"), "mine");

        // Act
        var result = await CliRunner.RunAsync("restore", backup, "--data", target);

        // Assert
        Assert.Equal(12, result.ExitCode);
        Assert.Contains("not empty", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(target).Select(e => Path.GetFileName(e)!).ToArray());
    }
}
