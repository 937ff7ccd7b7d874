using System.Collections.Concurrent;
using System.Text.Json;
using Grpc.Core;
using I4C.Cli;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using Xunit.Abstractions;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>
/// A record the node acknowledged survives SIGKILL of the node, and a kill never leaves a
/// half-written record behind. The node runs as a real process; the CLI runs in-process.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
[Collection(NodeProcessCollection.Name)]
public sealed class DurabilityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Publish20ThenKill9_Restart_AllRecordsPresentAndVerify()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        var ids = new List<string>();
        string nodeId;
        await using (var first = await NodeProcess.StartAsync(data))
        {
            nodeId = await NodeIdOf(data);
            for (var i = 1; i <= 20; i++)
            {
                var published = await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "green", "--title", $"Durable {i}", "--body", $"Body {i}", "--json");
                Assert.True(published.ExitCode == ExitCodes.Ok, published.ToString());
                ids.Add(JsonDocument.Parse(published.Stdout).RootElement.GetProperty("id").GetString()!);
            }

            // Act: SIGKILL right after the last acknowledgement.
            await first.KillAsync();
        }
        var whileDown = await CliRunner.RunAsync("status", "--data", data);
        await using var second = await NodeProcess.StartAsync(data);

        // Assert
        Assert.Equal(ExitCodes.NodeNotRunning, whileDown.ExitCode);
        Assert.Equal(nodeId, await NodeIdOf(data));
        Assert.Equal(20, ids.Distinct().Count());
        for (var i = 0; i < ids.Count; i++)
        {
            var shown = await CliRunner.RunAsync("show", ids[i], "--data", data, "--json");
            Assert.True(shown.ExitCode == ExitCodes.Ok, shown.ToString());
            var json = JsonDocument.Parse(shown.Stdout).RootElement;
            Assert.Equal(ids[i], json.GetProperty("id").GetString());
            Assert.Equal($"Durable {i + 1}", json.GetProperty("title").GetString());
            Assert.Equal($"Body {i + 1}", json.GetProperty("content").GetProperty("body").GetString());
        }
        var verify = await CliRunner.RunAsync("verify", "--data", data, "--json");
        Assert.True(verify.ExitCode == ExitCodes.Ok, verify.ToString());
        Assert.Equal(20, JsonDocument.Parse(verify.Stdout).RootElement.GetProperty("checked").GetInt32());
    }

    [Fact]
    public async Task KillDuringPublishLoop_Restart_EveryAcknowledgedRecordPresentAndNoneHalfWritten()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        var acknowledged = new ConcurrentQueue<string>();
        var killAfter = Random.Shared.Next(10, 80);
        output.WriteLine($"killing after {killAfter} acknowledgements");
        await using (var first = await NodeProcess.StartAsync(data))
        {
            using var channel = OpenFor(first.Data);
            var client = channel.Client();
            async Task PublishAsFastAsPossible(int writer)
            {
                for (var i = 0; ; i++)
                {
                    try
                    {
                        var reply = await client.PublishAsync(Requests.Advisory($"writer {writer} record {i}", $"body {writer}/{i}"), Deadline()).ResponseAsync.ConfigureAwait(false);
                        acknowledged.Enqueue(reply.Id);
                    }
                    catch (RpcException)
                    {
                        return; // The node is gone.
                    }
                }
            }
            var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() => PublishAsFastAsPossible(w))).ToArray();
            await Retry.UntilAsync(() => acknowledged.Count >= killAfter, TestTimeouts.Default, $"{killAfter} acknowledged publishes", TimeSpan.FromMilliseconds(1));

            // Act: SIGKILL while both writers have a publish in flight.
            await first.KillAsync();
            await Task.WhenAll(writers).WithTimeout();
        }
        await using var second = await NodeProcess.StartAsync(data);

        // Assert
        var acked = acknowledged.ToHashSet();
        output.WriteLine($"{acked.Count} acknowledged before the kill");
        var verify = await CliRunner.RunAsync("verify", "--data", data, "--json");
        Assert.True(verify.ExitCode == ExitCodes.Ok, verify.ToString());
        var report = JsonDocument.Parse(verify.Stdout).RootElement;
        Assert.Equal(0, report.GetProperty("failures").GetArrayLength());

        using var channel2 = OpenFor(second.Data);
        var feed = await channel2.Client().FeedAsync(new FeedRequest { Limit = 1000 }, Deadline()).ResponseAsync.WithTimeout();
        var stored = feed.Records.Select(r => r.Id).ToHashSet();
        Assert.Empty(acked.Except(stored));
        Assert.Equal((ulong)stored.Count, report.GetProperty("checked").GetUInt64());
        Assert.Equal((ulong)stored.Count, report.GetProperty("payloadsChecked").GetUInt64());
        Assert.True(stored.Count <= acked.Count + 2, $"{stored.Count} stored, {acked.Count} acknowledged: at most the two in-flight publishes may be stored unacknowledged");
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (ulong)i), feed.Records.Select(r => r.Seq).Order());
        foreach (var record in feed.Records)
        {
            Assert.False(record.Purged, $"record {record.Id} lost its payload");
            Assert.StartsWith("writer ", record.Title, StringComparison.Ordinal);
        }
    }

    private static async Task<string> NodeIdOf(string data)
    {
        var status = await CliRunner.RunAsync("status", "--data", data, "--json");
        Assert.True(status.ExitCode == ExitCodes.Ok, status.ToString());
        return JsonDocument.Parse(status.Stdout).RootElement.GetProperty("nodeId").GetString()!;
    }
}
