using System.Text.Json.Nodes;
using I4C.Core.Interop.Stix;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Tests.Shared;

namespace I4C.Node.Tests;

/// <summary><c>i4c export stix</c> against a real node: schema-valid bundle, TLP ceiling, --max-tlp, retracted records, file mode.</summary>
[Trait("Category", "Integration")]
public sealed class StixExportCliTests
{
    private static async Task<(TestNode Node, string Retracted)> StartAsync(Tlp ceiling)
    {
        var node = await TestNode.StartAsync(o => o with { ExportMaxTlp = ceiling });
        await node.Admin.PublishAsync(Requests.Advisory("Clear advisory", tlp: Tlp.Clear, indicators: [Requests.Indicator("ip-dst", "203.0.113.9"), Requests.Indicator("vulnerability", "CVE-2024-3400")]));
        await node.Admin.PublishAsync(Requests.Advisory("Green advisory", tlp: Tlp.Green, indicators: [Requests.Indicator("email-src", "x@evil.example")]));
        await node.Admin.PublishAsync(Requests.Incident("Amber incident", tlp: Tlp.Amber));
        await node.Admin.PublishAsync(Requests.Practice("Strict practice", tlp: Tlp.AmberStrict));
        var gone = await node.Admin.PublishAsync(Requests.Advisory("Retracted advisory", tlp: Tlp.Clear));
        await node.Admin.RetractAsync(new RetractRequest { Id = gone.Id, Reason = "wrong" });
        return (node, gone.Id);
    }

    private static List<string> ReportNames(JsonNode bundle) =>
        bundle["objects"]!.AsArray().Where(o => (string)o!["type"]! == "report").Select(o => (string)o!["name"]!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task ExportStix_DefaultCeilingGreen_ClearAndGreenOnlyValidReadableFile()
    {
        // Arrange
        var (node, retracted) = await StartAsync(Tlp.Green);
        await using var _ = node;
        var file = Path.Combine(node.DataPath, "..", "bundle.json");

        // Act
        var result = await CliRunner.RunAsync("export", "stix", "--out", file, "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        StixSchemas.AssertValidBundle(bundle);
        Assert.Equal(["Clear advisory", "Green advisory"], ReportNames(bundle));
        Assert.DoesNotContain(StixIds.ForRecord("report", retracted), bundle.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("1 indicators whose type has no STIX pattern: vulnerability (1)", result.Stdout.Replace("Left out ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.None, FileModes.Of(file) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        Assert.True((FileModes.Of(file) & UnixFileMode.OtherRead) != 0, FileModes.Octal(FileModes.Of(file)));
    }

    [Fact]
    public async Task ExportStix_CeilingAmberStrict_AmberIncludedFileOwnerOnly()
    {
        // Arrange
        var (node, _) = await StartAsync(Tlp.AmberStrict);
        await using var _ = node;
        var file = Path.Combine(node.DataPath, "..", "amber.json");

        // Act
        var result = await CliRunner.RunAsync("export", "stix", "--out", file, "--data", node.DataPath, "--json");

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        StixSchemas.AssertValidBundle(bundle);
        Assert.Equal(["Amber incident", "Clear advisory", "Green advisory", "Strict practice"], ReportNames(bundle));
        Assert.Equal(SecureFileMode, FileModes.Of(file));
        var summary = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("amber+strict", (string)summary["highest"]!);
        Assert.Equal("0600", (string)summary["mode"]!);
    }

    private const UnixFileMode SecureFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Theory]
    [InlineData("clear", new[] { "Clear advisory" })]
    [InlineData("green", new[] { "Clear advisory", "Green advisory" })]
    [InlineData("amber+strict", new[] { "Amber incident", "Clear advisory", "Green advisory" })] // cannot raise the node's AMBER ceiling
    public async Task ExportStix_MaxTlp_LowersButNeverRaisesTheCeiling(string maxTlp, string[] expected)
    {
        // Arrange
        var (node, _) = await StartAsync(Tlp.Amber);
        await using var _ = node;
        var file = Path.Combine(node.DataPath, "..", "lowered.json");

        // Act
        var result = await CliRunner.RunAsync("export", "stix", "--out", file, "--max-tlp", maxTlp, "--data", node.DataPath);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, ReportNames(JsonNode.Parse(await File.ReadAllTextAsync(file))!));
    }

    [Theory]
    [InlineData("red", "TLP:RED never leaves")]
    [InlineData("purple", "--max-tlp 'purple'")]
    public async Task ExportStix_BadMaxTlp_Exit2OneLineNoFile(string maxTlp, string message)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var file = Path.Combine(node.DataPath, "..", "never.json");

        // Act
        var result = await CliRunner.RunAsync("export", "stix", "--out", file, "--max-tlp", maxTlp, "--data", node.DataPath);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("i4c: ", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task ExportStix_MissingFolder_Exit2()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var file = Path.Combine(node.DataPath, "no-such-folder", "bundle.json");

        // Act
        var result = await CliRunner.RunAsync("export", "stix", "--out", file, "--data", node.DataPath);

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportStix_Twice_SameBundle()
    {
        // Arrange
        var (node, _) = await StartAsync(Tlp.Green);
        await using var _ = node;
        var first = Path.Combine(node.DataPath, "..", "first.json");
        var second = Path.Combine(node.DataPath, "..", "second.json");

        // Act
        await CliRunner.RunAsync("export", "stix", "--out", first, "--data", node.DataPath);
        await CliRunner.RunAsync("export", "stix", "--out", second, "--data", node.DataPath);

        // Assert
        Assert.Equal(await File.ReadAllTextAsync(first), await File.ReadAllTextAsync(second));
    }
}
