using I4C.Cli;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Re-verification finds stored bytes that were changed behind the node's back.</summary>
[Trait("Category", "Integration")]
public sealed class VerifyTests
{
    [Fact]
    public async Task Verify_PayloadTamperedOnDisk_ReportsWrongPayloadHashAndCliExitsSix()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        node.Log.Expect("VerifyFailed");
        var good = (await node.Admin.PublishAsync(Requests.Advisory("untouched"), Deadline()).ResponseAsync.WithTimeout()).Id;
        var bad = (await node.Admin.PublishAsync(Requests.Advisory("tampered"), Deadline()).ResponseAsync.WithTimeout()).Id;
        using (var sqlite = RecordStore.OpenConnection(node.Data.DatabasePath))
        using (var update = sqlite.CreateCommand())
        {
            // Flip one bit of the stored payload, keeping its length.
            update.CommandText = "SELECT payload FROM records WHERE id = $id";
            update.Parameters.AddWithValue("$id", Convert.FromHexString(bad));
            var bytes = (byte[])update.ExecuteScalar()!;
            bytes[^1] ^= 1;
            update.CommandText = "UPDATE records SET payload = $b WHERE id = $id";
            update.Parameters.AddWithValue("$b", bytes);
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        // Act
        var report = await node.Admin.VerifyAsync(new VerifyRequest(), Deadline()).ResponseAsync.WithTimeout();
        var cli = await CliRunner.RunAsync("verify", "--data", node.DataPath);

        // Assert
        var failure = Assert.Single(report.Failures);
        Assert.Equal(bad, failure.Id);
        Assert.Equal("WRONG_PAYLOAD_HASH", failure.Reason);
        Assert.Equal(2UL, report.Checked);
        Assert.DoesNotContain(report.Failures, f => f.Id == good);
        Assert.Equal(ExitCodes.VerifyFailed, cli.ExitCode);
        Assert.StartsWith("FAILED", cli.Stdout, StringComparison.Ordinal);
        Assert.True(node.Log.Has("VerifyFailed", LogLevel.Error));
    }

    [Fact]
    public async Task Verify_RecordMissingFromTheIdIndex_ReportsItAndCliExitsSix()
    {
        // Arrange: the id index's entry of one record removed behind the node's back.
        await using var node = await TestNode.StartAsync();
        node.Log.Expect("VerifyFailed");
        var good = (await node.Admin.PublishAsync(Requests.Advisory("indexed"), Deadline()).ResponseAsync.WithTimeout()).Id;
        var lost = (await node.Admin.PublishAsync(Requests.Advisory("unindexed"), Deadline()).ResponseAsync.WithTimeout()).Id;
        using (var sqlite = RecordStore.OpenConnection(node.Data.DatabasePath))
        using (var delete = sqlite.CreateCommand())
        {
            delete.CommandText = """
                DELETE FROM recent_ids WHERE prefix = substr($id, 1, 8);
                DELETE FROM record_ids WHERE prefix = substr($id, 1, 8);
                """;
            delete.Parameters.AddWithValue("$id", Convert.FromHexString(lost));
            Assert.Equal(1, delete.ExecuteNonQuery());
        }

        // Act
        var report = await node.Admin.VerifyAsync(new VerifyRequest(), Deadline()).ResponseAsync.WithTimeout();
        var cli = await CliRunner.RunAsync("verify", "--data", node.DataPath);

        // Assert: that record reported (its signature and chain are fine), the other not.
        var failure = Assert.Single(report.Failures);
        Assert.Equal(lost, failure.Id);
        Assert.Equal("MALFORMED", failure.Reason);
        Assert.Contains("id index", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(report.Failures, f => f.Id == good);
        Assert.Equal(ExitCodes.VerifyFailed, cli.ExitCode);
        Assert.Contains(lost, cli.Stdout, StringComparison.Ordinal);
    }
}
