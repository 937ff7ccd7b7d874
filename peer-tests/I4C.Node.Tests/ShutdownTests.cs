using System.Text.Json;
using I4C.Cli;
using I4C.Node.Tests.Infrastructure;
using I4C.Storage;

namespace I4C.Node.Tests;

/// <summary>SIGTERM stops the node cleanly: exit code 0, admin.endpoint removed, data intact.</summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
[Collection(NodeProcessCollection.Name)]
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_RunningNode_ExitsZeroWithinTenSecondsAndRemovesEndpoint()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        await using var node = await NodeProcess.StartAsync(data);
        var published = await CliRunner.RunAsync("publish", "practice", "--data", data, "--tlp", "clear", "--title", "Before shutdown", "--body", "b", "--json");
        Assert.True(published.ExitCode == ExitCodes.Ok, published.ToString());

        // Act
        var exited = await node.StopAsync(TimeSpan.FromSeconds(10));

        // Assert
        Assert.True(exited, "the node did not exit within 10 s of SIGTERM:" + Environment.NewLine + node.Output);
        Assert.True(node.ExitCode == 0, $"exit code {node.ExitCode}:{Environment.NewLine}{node.Output}");
        Assert.False(File.Exists(Path.Combine(data, DataDirectory.EndpointFileName)), "admin.endpoint is still there after a clean stop");
        var status = await CliRunner.RunAsync("status", "--data", data);
        Assert.Equal(ExitCodes.NodeNotRunning, status.ExitCode);
        Assert.Contains("no node is running", status.Stderr, StringComparison.Ordinal);
        await using var again = await NodeProcess.StartAsync(data);
        var id = JsonDocument.Parse(published.Stdout).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("show", id, "--data", data)).ExitCode);
    }
}
