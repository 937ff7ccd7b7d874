using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using I4C.Cli;
using I4C.Core.Identity;
using I4C.Core.Interop.Misp;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>
/// MISP interop end to end on a real node: <c>i4c import misp</c> of the sample events,
/// re-imports, superseding, refusals that publish nothing, <c>i4c export misp</c> and the
/// HTTP feed through a real HttpClient, each under the TLP export ceiling.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MispInteropTests
{
    private static string Samples => Path.Combine(AppContext.BaseDirectory, "TestData", "misp");

    [Fact]
    public async Task ImportMisp_EverySample_PublishesOnceAndReimportIsUnchanged()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var first = await CliRunner.RunAsync("import", "misp", Samples, "--tlp-default", "green", "--data", node.DataPath, "--json");
        var again = await CliRunner.RunAsync("import", "misp", Samples, "--tlp-default", "green", "--data", node.DataPath, "--json");

        // Assert
        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        var events = JsonNode.Parse(first.Stdout)!["events"]!.AsArray();
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal("new", (string?)e!["action"]));
        Assert.Equal(122, (int)events.Single(e => (string?)e!["eventUuid"] == "5a3c2fcd-8328-42bb-a95e-4f4402de0b81")!["indicators"]!);
        Assert.Equal("clear", (string?)events.Single(e => (string?)e!["eventUuid"] == "57c4445b-c548-4654-af0b-4be3950d210f")!["tlp"]);
        Assert.True(again.ExitCode == ExitCodes.Ok, again.ToString());
        Assert.All(JsonNode.Parse(again.Stdout)!["events"]!.AsArray(), e => Assert.Equal("unchanged", (string?)e!["action"]));
        var feed = await node.Admin.FeedAsync(new FeedRequest { Kind = RecordKind.Advisory }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal(5, feed.Records.Count);
        var shown = await node.Admin.ShowAsync(new ShowRequest { Id = (string)events[0]!["id"]! }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal((string?)events[0]!["eventUuid"], shown.Advisory.ExternalId);
    }

    [Fact]
    public async Task ImportMisp_ChangedEvent_SupersedesAndReadersSeeOnlyTheNewVersion()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var dir = new TempDirectory();
        var v1 = Path.Combine(dir.Path, "v1.json");
        var v2 = Path.Combine(dir.Path, "v2.json");
        await File.WriteAllTextAsync(v1, Event(timestamp: 100, "evil.example"));
        await File.WriteAllTextAsync(v2, Event(timestamp: 200, "evil.example", "worse.example"));
        var first = await CliRunner.RunAsync("import", "misp", v1, "--data", node.DataPath, "--json");

        // Act
        var second = await CliRunner.RunAsync("import", "misp", v2, "--data", node.DataPath, "--json");
        var stale = await CliRunner.RunAsync("import", "misp", v1, "--data", node.DataPath, "--json");

        // Assert
        var oldId = (string)JsonNode.Parse(first.Stdout)!["events"]![0]!["id"]!;
        var outcome = JsonNode.Parse(second.Stdout)!["events"]![0]!;
        Assert.Equal("superseding", (string?)outcome["action"]);
        Assert.Equal(oldId, (string?)outcome["previousId"]);
        Assert.Equal("stale", (string?)JsonNode.Parse(stale.Stdout)!["events"]![0]!["action"]);
        var newId = (string)outcome["id"]!;
        var shownNew = await node.Admin.ShowAsync(new ShowRequest { Id = newId }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Contains(shownNew.References, r => r.Type == ReferenceType.Supersedes && Convert.ToHexStringLower(r.RecordId.Span) == oldId);
        var shownOld = await node.Admin.ShowAsync(new ShowRequest { Id = oldId }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal(newId, shownOld.Summary.SupersededBy);
        var feed = await node.Admin.FeedAsync(new FeedRequest(), Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal([newId], feed.Records.Select(r => r.Id));
        using var outDir = new TempDirectory();
        var export = await CliRunner.RunAsync("export", "misp", "--out", outDir.Sub("feed"), "--data", node.DataPath);
        Assert.True(export.ExitCode == ExitCodes.Ok, export.ToString());
        var exported = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir.Sub("feed"), EventUuid + ".json")))!["Event"]!;
        Assert.Equal(2, exported["Attribute"]!.AsArray().Count);
    }

    [Fact]
    public async Task ImportMisp_OneMalformedFileInFolder_NamesItAndPublishesNothing()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(Samples, "57c4445b-c548-4654-af0b-4be3950d210f.json"), Path.Combine(dir.Path, "a-good.json"));
        var text = await File.ReadAllTextAsync(Path.Combine(Samples, "galaxy_1.json"));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "b-cut.json"), text[..5000]);

        // Act
        var result = await CliRunner.RunAsync("import", "misp", dir.Path, "--data", node.DataPath);

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("b-cut.json: line ", line, StringComparison.Ordinal);
        Assert.Contains("nothing was imported", line, StringComparison.Ordinal);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Theory]
    [InlineData("event_tags.json", "--tlp-default")]
    [InlineData("sharing-group", "--to")]
    [InlineData("red", "TLP:RED")]
    public async Task ImportMisp_EventItCannotShare_RefusedNamingTheEventAndPublishesNothing(string input, string expected)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(Samples, "57c4445b-c548-4654-af0b-4be3950d210f.json"), Path.Combine(dir.Path, "a.json"));
        var path = Path.Combine(dir.Path, "b.json");
        await File.WriteAllTextAsync(path, input switch
        {
            "sharing-group" => Event(1, "evil.example").Replace("\"distribution\":\"1\"", "\"distribution\":\"4\"", StringComparison.Ordinal),
            "red" => Event(1, "evil.example").Replace("tlp:green", "tlp:red", StringComparison.Ordinal),
            _ => await File.ReadAllTextAsync(Path.Combine(Samples, input)),
        });

        // Act
        var result = await CliRunner.RunAsync("import", "misp", dir.Path, "--data", node.DataPath);

        // Assert
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("b.json", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Fact]
    public async Task ImportMisp_DistributionZeroAndDryRun_PublishNothing()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var dir = new TempDirectory();
        var orgOnly = Path.Combine(dir.Path, "org-only.json");
        await File.WriteAllTextAsync(orgOnly, Event(1, "evil.example").Replace("\"distribution\":\"1\"", "\"distribution\":\"0\"", StringComparison.Ordinal));

        // Act
        var skipped = await CliRunner.RunAsync("import", "misp", orgOnly, "--data", node.DataPath, "--json");
        var dry = await CliRunner.RunAsync("import", "misp", Samples, "--tlp-default", "amber", "--dry-run", "--data", node.DataPath, "--json");

        // Assert
        Assert.True(skipped.ExitCode == ExitCodes.Ok, skipped.ToString());
        Assert.Equal("skipped", (string?)JsonNode.Parse(skipped.Stdout)!["events"]![0]!["action"]);
        Assert.True(dry.ExitCode == ExitCodes.Ok, dry.ToString());
        Assert.All(JsonNode.Parse(dry.Stdout)!["events"]!.AsArray(), e => Assert.Equal("new", (string?)e!["action"]));
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Fact]
    public async Task ImportMisp_ListenerNode_RefusedAndPublishesNothing()
    {
        // Arrange
        await using var node = await TestNode.StartAsync(profile: TestNode.DefaultProfile with { Participation = Participation.Listener });
        node.Log.Expect("PublishRefused");

        // Act
        var result = await CliRunner.RunAsync("import", "misp", Samples, "--tlp-default", "green", "--data", node.DataPath);

        // Assert
        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("listener", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(0UL, (await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout()).TotalRecords);
    }

    [Fact]
    public async Task ExportMisp_Ceilings_NothingAboveTheNodeCeilingOrTheAskedOneLeaves()
    {
        // Arrange: the node's ceiling is the default, GREEN
        await using var node = await TestNode.StartAsync();
        var ids = new Dictionary<Tlp, string>();
        foreach (var tlp in new[] { Tlp.Clear, Tlp.Green, Tlp.Amber, Tlp.AmberStrict })
        {
            var published = await node.Admin.PublishAsync(new PublishRequest { Tlp = tlp, Advisory = new Advisory { Title = "Advisory " + tlp, Body = "b" } }, Deadline()).ResponseAsync.WithTimeout();
            ids[tlp] = MispUuid.ForRecord(published.Id);
        }
        using var dir = new TempDirectory();

        // Act
        var atCeiling = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("a"), "--data", node.DataPath);
        var asked = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("b"), "--max-tlp", "clear", "--data", node.DataPath);
        var above = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("c"), "--max-tlp", "amber", "--data", node.DataPath);
        var red = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("d"), "--max-tlp", "red", "--data", node.DataPath);

        // Assert
        Assert.True(atCeiling.ExitCode == ExitCodes.Ok, atCeiling.ToString());
        Assert.Equal(new[] { ids[Tlp.Clear], ids[Tlp.Green] }.Order(), EventFiles(dir.Sub("a")).Order());
        Assert.Equal([ids[Tlp.Clear]], EventFiles(dir.Sub("b")));
        Assert.Equal(new[] { ids[Tlp.Clear], ids[Tlp.Green] }.Order(), EventFiles(dir.Sub("c")).Order()); // asking for more never widens
        Assert.Contains("TLP:GREEN", above.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, red.ExitCode);
        Assert.False(Directory.Exists(dir.Sub("d")));
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir.Sub("a"), "manifest.json")))!.AsObject();
        Assert.Equal(2, manifest.Count);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.Sub("a"), "manifest.json")));
        }
    }

    [Fact]
    public async Task ExportMisp_ExportImportExportAcrossNodes_GivesTheSameEvents()
    {
        // Arrange
        await using var a = await TestNode.StartAsync();
        await using var b = await TestNode.StartAsync();
        using var dir = new TempDirectory();
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("import", "misp", Samples, "--tlp-default", "green", "--data", a.DataPath)).ExitCode);
        var native = new Advisory { Title = "Native", Body = "Patch now." };
        native.Indicators.Add(new Indicator { Type = "ip-dst", Value = "203.0.113.7", ToIds = true, Category = "Network activity" });
        await a.Admin.PublishAsync(new PublishRequest { Tlp = Tlp.Green, Advisory = native }, Deadline()).ResponseAsync.WithTimeout();

        // Act
        var first = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("a"), "--data", a.DataPath);
        var import = await CliRunner.RunAsync("import", "misp", dir.Sub("a"), "--data", b.DataPath);
        var second = await CliRunner.RunAsync("export", "misp", "--out", dir.Sub("b"), "--data", b.DataPath);

        // Assert
        Assert.True(first.ExitCode == ExitCodes.Ok && import.ExitCode == ExitCodes.Ok && second.ExitCode == ExitCodes.Ok, $"{first}\n{import}\n{second}");
        var names = EventFiles(dir.Sub("a")).Order().ToList();
        Assert.Equal(6, names.Count);
        Assert.Equal(names, EventFiles(dir.Sub("b")).Order());
        foreach (var uuid in names)
        {
            Assert.Equal(Essence(Path.Combine(dir.Sub("a"), uuid + ".json")), Essence(Path.Combine(dir.Sub("b"), uuid + ".json")));
        }
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(dir.Sub("a"), "hashes.csv")), await File.ReadAllTextAsync(Path.Combine(dir.Sub("b"), "hashes.csv")));
    }

    [Fact]
    public async Task MispFeed_OverHttp_ServesTheFeedWithTokenAndRefusesWithout()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        Assert.Equal(ExitCodes.Ok, (await CliRunner.RunAsync("import", "misp", Path.Combine(Samples, "57c4445b-c548-4654-af0b-4be3950d210f.json"), "--data", node.DataPath)).ExitCode);
        var amber = await node.Admin.PublishAsync(new PublishRequest { Tlp = Tlp.Amber, Advisory = new Advisory { Title = "Amber", Body = "b" } }, Deadline()).ResponseAsync.WithTimeout();
        using var http = new HttpClient { BaseAddress = new Uri(node.Host.HttpUrl), Timeout = TestTimeouts.Default };
        node.Log.Expect("AdminUnauthenticated");

        // Act
        var anonymous = await http.GetAsync(new Uri("/feeds/misp/manifest.json", UriKind.Relative));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.AdminToken);
        var manifest = await http.GetAsync(new Uri("/feeds/misp/manifest.json", UriKind.Relative));
        var hashes = await http.GetAsync(new Uri("/feeds/misp/hashes.csv", UriKind.Relative));
        var ev = await http.GetAsync(new Uri("/feeds/misp/57c4445b-c548-4654-af0b-4be3950d210f.json", UriKind.Relative));
        var aboveCeiling = await http.GetAsync(new Uri($"/feeds/misp/{MispUuid.ForRecord(amber.Id)}.json", UriKind.Relative));
        var unknown = await http.GetAsync(new Uri("/feeds/misp/11111111-2222-4333-8444-555555555555.json", UriKind.Relative));
        var invalid = await http.GetAsync(new Uri("/feeds/misp/..%2Fadmin.token", UriKind.Relative));

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal("application/json", manifest.Content.Headers.ContentType!.MediaType);
        var summary = JsonNode.Parse(await manifest.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["57c4445b-c548-4654-af0b-4be3950d210f"], summary.Select(p => p.Key));
        Assert.Equal("text/csv", hashes.Content.Headers.ContentType!.MediaType);
        Assert.Equal(10, (await hashes.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(HttpStatusCode.OK, ev.StatusCode);
        Assert.Equal("Ransomware - Xorist", (string?)JsonNode.Parse(await ev.Content.ReadAsStringAsync())!["Event"]!["info"]);
        Assert.Equal(HttpStatusCode.NotFound, aboveCeiling.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/json", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Equal("404", (string?)JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["http_status"]);
        Assert.True(invalid.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, invalid.StatusCode.ToString());
    }

    private const string EventUuid = "11111111-2222-4333-8444-555555555555";

    private static string Event(long timestamp, params string[] domains) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["Event"] = new Dictionary<string, object>
        {
            ["uuid"] = EventUuid,
            ["info"] = "Phishing wave",
            ["distribution"] = "1",
            ["timestamp"] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tag"] = new[] { new { name = "tlp:green" } },
            ["Attribute"] = domains.Select((d, i) => new { uuid = $"22222222-2222-4333-8444-55555555555{i}", type = "domain", category = "Network activity", value = d, to_ids = true }).ToArray(),
        },
    });

    private static List<string> EventFiles(string dir) => Directory.GetFiles(dir, "*.json")
        .Select(f => Path.GetFileNameWithoutExtension(f)).Where(n => n != "manifest").ToList();

    private static string Essence(string path)
    {
        var e = JsonNode.Parse(File.ReadAllText(path))!["Event"]!;
        static IEnumerable<string> Attrs(JsonNode? list) => list!.AsArray().Select(a => $"{a!["uuid"]}|{a["type"]}|{a["category"]}|{a["value"]}|{a["object_relation"]}|{a["Tag"]?.ToJsonString()}");
        return string.Join('\n', new[] { $"{e["uuid"]}|{e["info"]}|{e["date"]}|{e["Tag"]!.ToJsonString()}" }
            .Concat(Attrs(e["Attribute"]))
            .Concat(e["Object"]!.AsArray().SelectMany(o => Attrs(o!["Attribute"]).Prepend($"object {o!["uuid"]}|{o["name"]}"))));
    }
}
