using System.Diagnostics;
using System.Text.Json.Nodes;
using I4C.Cli;
using I4C.Node.Tests.Infrastructure;
using I4C.Storage;

namespace I4C.Node.Tests;

/// <summary>
/// <c>i4c pilot</c>: real <c>i4c-node</c> processes, one per city, driven through the CLI. The full scenario runs once
/// (the README's first command, in CI); the rest checks its guards and that it never leaves a node behind.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
public sealed class PilotTests
{
    private static readonly string[] ExpectedSteps =
    [
        "Identities", "Nodes started", "Charter adopted", "Federation", "Live admission", "MISP advisory",
        "TLP:RED incident", "AMBER+STRICT practice", "NIS2 assessments", "Kill and catch up", "Retraction",
    ];

    [Fact]
    public async Task Pilot_OnceWithFiveCities_EveryStepSucceedsAndNoNodeIsLeft()
    {
        // Arrange
        using var dir = new TempDirectory();
        var root = dir.Sub("pilot");

        // Act
        var result = await RunAsync(["pilot", "--once", "--cities", "5", "--dir", root, "--json"], TimeSpan.FromMinutes(8));

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var summary = JsonNode.Parse(result.Stdout)!;
        Assert.True((bool)summary["ok"]!, result.ToString());
        var steps = summary["steps"]!.AsArray();
        Assert.Equal(ExpectedSteps, steps.Select(s => (string)s!["name"]!));
        Assert.All(steps, s => Assert.True((bool)s!["ok"]!, s!.ToJsonString()));
        var cities = summary["cities"]!.AsArray();
        Assert.Equal(5, cities.Count);
        Assert.Contains(cities, c => (string?)c!["category"] == "non-eu-city");
        Assert.Single(cities, c => (string?)c!["role"] == "listener");
        var report = (string?)summary["benchmarkReport"];
        Assert.NotNull(report);
        Assert.Contains("<svg", await File.ReadAllTextAsync(report), StringComparison.Ordinal);
        await AssertNoNodeRunningAsync(root);
    }

    [Fact]
    public async Task Pilot_CancelledWhileRunning_StopsEveryNodeItStarted()
    {
        // Arrange
        using var dir = new TempDirectory();
        var root = dir.Sub("pilot");
        using var cancel = new CancellationTokenSource();
        using var stdout = new CancelOnLine("Charter adopted …", cancel);
        using var stderr = new StringWriter();

        // Act: Ctrl+C arrives as the founders start to sign the charter, with every node up.
        var code = await CliApp.RunAsync(["pilot", "--cities", "5", "--dir", root], stdout, stderr, cancel.Token).WithTimeout(TimeSpan.FromMinutes(3));

        // Assert
        Assert.True(cancel.IsCancellationRequested, stdout.ToString());
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("stopping every node", stdout.ToString(), StringComparison.OrdinalIgnoreCase);
        await AssertNoNodeRunningAsync(root);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("13")]
    public async Task Pilot_CitiesOutOfRange_UsageErrorNamingTheRange(string cities)
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var result = await CliRunner.RunAsync("pilot", "--once", "--cities", cities, "--dir", dir.Sub("p"));

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("5 to 12", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("p")));
    }

    [Fact]
    public async Task Pilot_DirNotEmpty_RefusedAndNothingTouched()
    {
        // Arrange
        using var dir = new TempDirectory();
        var keep = dir.Sub("keep.txt");
        await File.WriteAllTextAsync(keep, "a city's file");

        // Act
        var result = await CliRunner.RunAsync("pilot", "--once", "--dir", dir.Path);

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("not empty", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    private static async Task<CliResult> RunAsync(string[] args, TimeSpan timeout)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource(timeout);
        var code = await CliApp.RunAsync(args, stdout, stderr, cancel.Token).WithTimeout(timeout + TimeSpan.FromSeconds(30));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every node the pilot started (each wrote its pid to admin.endpoint) is gone.</summary>
    private static async Task AssertNoNodeRunningAsync(string root)
    {
        var nodes = Path.Combine(root, "nodes");
        Assert.True(Directory.Exists(nodes), $"no nodes under {root}");
        var checkedAny = false;
        foreach (var data in Directory.EnumerateDirectories(nodes))
        {
            if (new DataDirectory(data).ReadEndpoint() is not { } endpoint)
            {
                continue;
            }
            checkedAny = true;
            await Retry.UntilAsync(() => !IsAlive(endpoint.Pid), TimeSpan.FromSeconds(10), $"the node of {data} (pid {endpoint.Pid}) to be gone");
        }
        Assert.True(checkedAny, "no node wrote admin.endpoint");
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && process.ProcessName != "zombie";
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Collects output and cancels once a line contains the given text.</summary>
    private sealed class CancelOnLine(string trigger, CancellationTokenSource cancel) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
