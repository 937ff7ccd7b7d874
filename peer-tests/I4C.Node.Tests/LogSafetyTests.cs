using System.Text.Json;
using I4C.Node.Tests.Infrastructure;

namespace I4C.Node.Tests;

/// <summary>JSON logs of a real node process: every line parses, and no secret or restricted payload text appears.</summary>
[Collection(NodeProcessCollection.Name)]
[Trait("Category", "Process")]
public sealed class LogSafetyTests
{
    private const string Canary = "CANARY-7f3a9c-do-not-log";

    [Fact]
    public async Task JsonLogs_RestrictedPublishingAndBadTokens_NoCanaryNoTokenEveryLineParses()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        await using var node = await NodeProcess.StartAsync(data, extraArgs: ["--log-format", "json", "--max-payload", "1024", "--max-records-per-minute", "3"]);
        var token = node.Data.ReadAdminToken();

        // Act: restricted records with the canary in title and body, refusals that quote the request, bad tokens.
        var runs = new List<CliResult>
        {
            await CliRunner.RunAsync("publish", "incident", "--data", data, "--tlp", "amber", "--title", Canary + " title", "--body", Canary + " body"),
            await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "amber+strict", "--title", Canary + " strict", "--body", Canary),
            await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "red", "--title", Canary + " red", "--body", Canary),
            await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "amber", "--title", Canary + " too big", "--body", Canary + new string('x', 3000)),
            await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "green", "--title", Canary + " over the rate", "--body", Canary),
            await CliRunner.RunAsync("publish", "advisory", "--data", data, "--tlp", "amber", "--title", Canary + " over the rate 2", "--body", Canary),
        };
        using (var http = new HttpClient { BaseAddress = new Uri(node.Data.ReadEndpoint()!.Http!), Timeout = TestTimeouts.Default })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Canary);
            using var refused = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var wrong = AdminChannels.Open(node.Data.ReadEndpoint()!.Admin, Canary))
        {
            await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => wrong.Client().GetStatusAsync(new Protocol.V1.StatusRequest(), AdminChannels.Deadline()).ResponseAsync);
        }
        Assert.Equal(0, (await CliRunner.RunAsync("backup", "--data", data, "--out", dir.Sub("b.tar"))).ExitCode);
        Assert.True(await node.StopAsync(TestTimeouts.Default));
        var output = node.Output;

        // Assert: the scenario happened (two stored, four refused) ...
        Assert.Equal([0, 0, 5, 5, 0, 5], runs.Select(r => r.ExitCode).ToArray());
        Assert.Contains("\"EventId\":1100", output, StringComparison.Ordinal);
        Assert.Contains("\"EventId\":3000", output, StringComparison.Ordinal);
        Assert.Contains("\"EventId\":1200", output, StringComparison.Ordinal);
        // ... no canary, no token, and JSON on every line.
        Assert.DoesNotContain(Canary, output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("LogLevel", out _), line);
            Assert.True(doc.RootElement.TryGetProperty("Timestamp", out _), line);
        }
    }
}
