using System.Diagnostics;
using System.Text.Json;
using I4C.Cli;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>
/// The i4c command line, in-process against an in-process node: the documented exit codes
/// (tools/I4C.Cli/ExitCodes.cs), one "i4c: " error line on stderr, and JSON for scripts.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliTests
{
    private const string DataToken = "{data}";

    /// <summary>Command lines that are wrong before any node is asked; {data} is a running node's directory.</summary>
    public static TheoryData<string, string[]> UsageErrors => new()
    {
        { "unknown flag", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body", "B", "--bogus"] },
        { "invalid --tlp", ["publish", "advisory", "--data", DataToken, "--tlp", "purple", "--title", "T", "--body", "B"] },
        { "missing --title", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--body", "B"] },
        { "missing --body-file", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body-file", DataToken + "/no-such-file.txt"] },
        { "--body and --body-file", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body", "B", "--body-file", DataToken + "/identity.json"] },
        { "bad --indicator type", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body", "B", "--indicator", "ipv4:203.0.113.7"] },
        { "bad --indicator form", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body", "B", "--indicator", "203.0.113.7"] },
        { "bad --expires", ["publish", "advisory", "--data", DataToken, "--tlp", "green", "--title", "T", "--body", "B", "--expires", "soon"] },
        { "bad --to", ["publish", "advisory", "--data", DataToken, "--tlp", "amber", "--title", "T", "--body", "B", "--to", "bonn"] },
        { "feed --limit 0", ["feed", "--data", DataToken, "--limit", "0"] },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task Cli_UsageError_ExitsTwoWithOneErrorLineAndPublishesNothing(string scenario, string[] args)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var argv = args.Select(a => a.Replace(DataToken, node.DataPath, StringComparison.Ordinal)).ToArray();

        // Act
        var result = await CliRunner.RunAsync(argv);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Usage, $"{scenario}: {result}");
        AssertOneErrorLine(result);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    /// <summary>
    /// One mistake System.CommandLine reports as more than one error (an unknown command, or an
    /// unknown flag followed by a value): still exit 2, and every error line is prefixed.
    /// </summary>
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("status", "--bogus", "1")]
    public async Task Cli_UnknownCommandOrFlagWithValue_ExitsTwoAndEveryErrorLinePrefixed(params string[] args)
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var result = await CliRunner.RunAsync([.. args, "--data", dir.Path]);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.All(result.ErrorLines, l => Assert.True(l.StartsWith("i4c: ", StringComparison.Ordinal) || l.StartsWith("Run 'i4c --help'", StringComparison.Ordinal), l));
        Assert.StartsWith("Run 'i4c --help'", result.ErrorLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_CountryNotAnIsoCode_ExitsTwoAndCreatesNothing()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");

        // Act
        var result = await CliRunner.RunAsync("init", "--data", data, "--name", "City of Bonn", "--country", "Germany", "--category", "eu-city");

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        AssertOneErrorLine(result);
        Assert.Contains("Germany", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(data, DataDirectory.KeyFileName)));
    }

    [Fact]
    public async Task Init_Twice_SecondExitsSevenAndKeepsTheIdentity()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        var first = await CliRunner.RunAsync("init", "--data", data, "--name", "City of Bonn", "--country", "de", "--category", "eu-city", "--json");
        var key = await File.ReadAllBytesAsync(Path.Combine(data, DataDirectory.KeyFileName)).WithTimeout();

        // Act
        var second = await CliRunner.RunAsync("init", "--data", data, "--name", "City of Köln", "--country", "DE", "--category", "eu-city");

        // Assert
        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        Assert.Equal("DE", JsonDocument.Parse(first.Stdout).RootElement.GetProperty("country").GetString());
        Assert.True(second.ExitCode == ExitCodes.DataDirectory, second.ToString());
        AssertOneErrorLine(second);
        Assert.Equal(key, await File.ReadAllBytesAsync(Path.Combine(data, DataDirectory.KeyFileName)).WithTimeout());
    }

    [Fact]
    public async Task Init_NewDirectory_WritesSecretsOwnerOnly()
    {
        // Arrange
        using var dir = new TempDirectory();
        var data = dir.Sub("node");

        // Act
        var result = await CliRunner.RunAsync("init", "--data", data, "--name", "City of Gent", "--country", "BE", "--category", "eu-city");

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        foreach (var secret in new[] { DataDirectory.KeyFileName, DataDirectory.CertificateFileName, DataDirectory.TokenFileName })
        {
            var mode = FileModes.Of(Path.Combine(data, secret));
            Assert.True(mode == SecureFile.OwnerOnly, $"{secret} has mode {FileModes.Octal(mode)}, expected 600");
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, FileModes.Of(data));
    }

    [Fact]
    public async Task Cli_DataDirectoryMissing_ExitsSeven()
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var result = await CliRunner.RunAsync("status", "--data", dir.Sub("nowhere"));

        // Assert
        Assert.True(result.ExitCode == ExitCodes.DataDirectory, result.ToString());
        AssertOneErrorLine(result);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("feed")]
    [InlineData("verify")]
    [InlineData("show", "0123456789abcdef")]
    [InlineData("retract", "0123456789abcdef", "--reason", "r")]
    [InlineData("publish", "incident", "--tlp", "green", "--title", "T", "--body", "B")]
    public async Task Cli_NoNodeRunning_ExitsThree(params string[] command)
    {
        // Arrange: an identity, but no node was ever started for it.
        using var dir = new TempDirectory();
        var data = dir.Sub("node");
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("init", "--data", data, "--name", "City of Lyon", "--country", "FR", "--category", "eu-city")).ExitCode);

        // Act
        var result = await CliRunner.RunAsync([.. command, "--data", data]);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.NodeNotRunning, result.ToString());
        AssertOneErrorLine(result);
    }

    [Fact]
    public async Task Cli_StaleEndpointOfDeadProcess_ExitsThree()
    {
        // Arrange: admin.endpoint names a process that has exited.
        using var dir = new TempDirectory();
        var data = new DataDirectory(dir.Sub("node"));
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("init", "--data", data.Root, "--name", "City of Graz", "--country", "AT", "--category", "eu-city")).ExitCode);
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync().WithTimeout();
        data.WriteEndpoint(new NodeEndpoint(gone.Id, "http://127.0.0.1:9", "127.0.0.1:9", 9, DateTimeOffset.UtcNow));

        // Act
        var result = await CliRunner.RunAsync("status", "--data", data.Root);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.NodeNotRunning, result.ToString());
        AssertOneErrorLine(result);
        Assert.Contains(gone.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownId_ExitsFour()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("show", new string('0', 64), "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.NotFound, result.ToString());
        AssertOneErrorLine(result);
    }

    [Fact]
    public async Task PublishRed_WithoutRecipients_ExitsFive()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("publish", "incident", "--data", node.DataPath, "--tlp", "red", "--title", "Secret", "--body", "B");

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Refused, result.ToString());
        AssertOneErrorLine(result);
        Assert.Contains("--to", result.Stderr, StringComparison.Ordinal);
        Assert.True(node.Log.Has("PublishRefused"));
    }

    [Fact]
    public async Task Verify_HealthyNode_ExitsZero()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        await node.Admin.PublishAsync(Requests.Advisory(), Deadline()).ResponseAsync.WithTimeout();

        // Act
        var result = await CliRunner.RunAsync("verify", "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(string.Empty, result.Stderr);
        Assert.StartsWith("OK", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusJson_RunningNode_ParsesWithIdentity()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var result = await CliRunner.RunAsync("status", "--json", "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal(node.Host.Node.Identity.Id.Text, json.GetProperty("nodeId").GetString());
        Assert.Equal(node.Host.Node.Identity.Id.Fingerprint, json.GetProperty("fingerprint").GetString());
        Assert.Equal(TestNode.DefaultProfile.Name, json.GetProperty("name").GetString());
        Assert.Equal(node.Host.AdminUrl, json.GetProperty("adminEndpoint").GetString());
    }

    [Fact]
    public async Task PublishJson_Advisory_ReturnsIdThatShowAndFeedKnow()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var bodyFile = Path.Combine(node.DataPath, "body.md");
        await File.WriteAllTextAsync(bodyFile, "Line one\nLine two").WithTimeout();

        // Act
        var result = await CliRunner.RunAsync("publish", "advisory", "--data", node.DataPath, "--tlp", "amber", "--title", "From the CLI",
            "--body-file", bodyFile, "--indicator", "sha256:" + new string('a', 64), "--tag", "phishing", "--expires", "30d", "--json");

        // Assert
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        var id = json.GetProperty("id").GetString()!;
        Assert.Equal(64, id.Length);
        Assert.Equal("amber", json.GetProperty("tlp").GetString());
        var shown = await node.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal("Line one\nLine two", shown.Advisory.Body);
        Assert.Equal("sha256", Assert.Single(shown.Advisory.Indicators).Type);
        Assert.Equal(["phishing"], shown.Advisory.Tags);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(shown.Summary.ExpiresUnixMs), DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
        var feed = await CliRunner.RunAsync("feed", "--json", "--data", node.DataPath);
        Assert.Equal(id, JsonDocument.Parse(feed.Stdout).RootElement.GetProperty("records")[0].GetProperty("id").GetString());
    }

    /// <summary>The error is one line beginning "i4c: " (a parse error may add the --help hint after it).</summary>
    private static void AssertOneErrorLine(CliResult result)
    {
        var lines = result.ErrorLines;
        Assert.NotEmpty(lines);
        Assert.StartsWith("i4c: ", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Count(l => l.StartsWith("i4c: ", StringComparison.Ordinal)) == 1, $"more than one error line: {result.Stderr}");
        Assert.All(lines.Skip(1), l => Assert.StartsWith("Run 'i4c --help'", l, StringComparison.Ordinal));
    }
}
