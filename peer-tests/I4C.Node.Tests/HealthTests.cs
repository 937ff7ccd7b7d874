using Grpc.Health.V1;
using I4C.Node.Operations;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Health: the checks behind gRPC health, the Admin GetHealth call and `i4c status`'s exit code.</summary>
[Trait("Category", "Integration")]
public sealed class HealthTests
{
    [Fact]
    public async Task Health_FreshNode_HealthyEverywhere()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var grpcHealth = new Health.HealthClient(node.Channel);

        // Act
        var reply = await node.Admin.GetHealthAsync(new HealthRequest(), Deadline()).ResponseAsync.WithTimeout();
        var standard = await grpcHealth.CheckAsync(new HealthCheckRequest(), Deadline()).ResponseAsync.WithTimeout();
        var status = await CliRunner.RunAsync("status", "--data", node.DataPath);

        // Assert
        Assert.Equal("Healthy", reply.Status);
        Assert.Equal(["disk", "listeners", "mesh", "store"], reply.Checks.Select(c => c.Name).ToArray());
        Assert.All(reply.Checks, c => Assert.Equal("Healthy", c.Status));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, standard.Status);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Health", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Healthy", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_DatabaseAtItsCap_UnhealthyNotServingAndStatusExits11()
    {
        // Arrange: a cap the database already exceeds.
        await using var node = await TestNode.StartAsync(o => o with { MaxDatabaseBytes = 1 });
        var grpcHealth = new Health.HealthClient(node.Channel);

        // Act
        var reply = await node.Admin.GetHealthAsync(new HealthRequest(), Deadline()).ResponseAsync.WithTimeout();
        var standard = await grpcHealth.CheckAsync(new HealthCheckRequest(), Deadline()).ResponseAsync.WithTimeout();
        var status = await CliRunner.RunAsync("status", "--data", node.DataPath);
        var json = await CliRunner.RunAsync("status", "--json", "--data", node.DataPath);

        // Assert
        Assert.Equal("Unhealthy", reply.Status);
        Assert.Equal("Unhealthy", reply.Checks.Single(c => c.Name == "disk").Status);
        Assert.Contains("--max-db-size", reply.Checks.Single(c => c.Name == "disk").Description, StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, standard.Status);
        Assert.Equal(11, status.ExitCode);
        Assert.Contains("Unhealthy (disk:", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(11, json.ExitCode);
        Assert.Equal("Unhealthy", System.Text.Json.Nodes.JsonNode.Parse(json.Stdout)!["health"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DiskCheck_DatabaseAbove90PercentOfCap_Degraded()
    {
        // Arrange: a cap just above the database's current size.
        await using var node = await TestNode.StartAsync();
        var store = node.Host.Node.Store;
        var size = new FileInfo(store.Path).Length + (File.Exists(store.Path + "-wal") ? new FileInfo(store.Path + "-wal").Length : 0);
        var options = TestNode.OptionsFor(node.DataPath) with { MaxDatabaseBytes = size * 100 / 95 };
        var limits = new NodeLimits(options, store, TimeProvider.System, NullLogger<NodeLimits>.Instance);
        var check = new NodeHealthChecks.DiskCheck(limits, store);

        // Act
        var result = await check.CheckHealthAsync(new HealthCheckContext());

        // Assert
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("90%", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NodeNotRunning_StillExits3()
    {
        // Arrange
        using var dir = new TempDirectory();
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", dir.Path, "--name", "City of Idle", "--country", "DE", "--category", "eu-city")).ExitCode);

        // Act
        var status = await CliRunner.RunAsync("status", "--data", dir.Path);

        // Assert
        Assert.Equal(3, status.ExitCode);
    }
}
