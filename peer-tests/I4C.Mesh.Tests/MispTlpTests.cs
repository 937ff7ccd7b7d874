using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using I4C.Core.Identity;
using I4C.Core.Interop.Misp;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Interop;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// TLP:RED never leaves through MISP: on a three-node mesh with every export ceiling raised to its
/// highest (AMBER+STRICT), neither <c>i4c export misp</c> (Admin ExportMisp) nor the MISP HTTP feed
/// on the admin listener carries a RED record — not in manifest.json, not as a &lt;uuid&gt;.json, not
/// as an MD5 in hashes.csv, not a byte of its title or indicator values — on the author's node nor
/// on its recipient's, whether the record was published natively or imported from a MISP event
/// tagged tlp:red. AMBER+STRICT appears only where the record is held (author and recipient);
/// <c>--max-tlp green</c> leaves GREEN alone.
/// </summary>
[Trait("Category", "Peer")]
public sealed class MispTlpTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1, C = 2;

    /// <summary>In every RED title, body and indicator value; no other record carries it.</summary>
    private const string Canary = "zq7-red-canary";

    /// <summary>A RED indicator value without the canary in it (an address cannot hold text): checked as text and as MD5.</summary>
    private const string RedAddress = "203.0.113.77";

    private static readonly MeshClusterOptions Raised = new()
    {
        // Author, recipient and outsider all at the highest ceiling, so whatever is missing from
        // an export is missing because of RED or the audience, not because of a low ceiling.
        Configure = (_, options) => options with { ExportMaxTlp = Tlp.AmberStrict },
    };

    [Fact]
    public async Task PublishedRecords_AuthorRecipientOutsider_MispExportAndFeedNeverCarryRed()
    {
        // Arrange: A publishes RED and AMBER+STRICT to B, AMBER and GREEN to all.
        await using var cluster = await MeshCluster.StartAsync(3, output, Raised);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var red = await PublishAsync(cluster[A], Tlp.Red, $"RED {Canary} advisory", [cluster[B].Id],
            ("domain", $"{Canary}.example"), ("url", $"https://login.{Canary}.example/portal"), ("email-src", $"ops@{Canary}.example"), ("ip-dst", RedAddress));
        var strict = await PublishAsync(cluster[A], Tlp.AmberStrict, "Strict advisory for the CERT of B", [cluster[B].Id], ("domain", "strict-only.example"));
        var amber = await PublishAsync(cluster[A], Tlp.Amber, "Amber advisory for all members", [], ("domain", "amber-all.example"));
        var green = await PublishAsync(cluster[A], Tlp.Green, "Green advisory for all members", [], ("domain", "green-all.example"), ("ip-dst", "198.51.100.20"));
        await Retry.Until(() => new[] { red, strict, amber, green }.All(r => cluster[B].Holds(r.Id)) && cluster[C].Holds(amber.Id) && cluster[C].Holds(green.Id),
            Timeouts.Converge, () => "B holds all four records and C the two for all members; " + cluster.DescribeState());
        Assert.False(cluster[C].Holds(red.Id), "the outsider C holds the RED record");
        Assert.False(cluster[C].Holds(strict.Id), "the outsider C holds the AMBER+STRICT record for B");

        foreach (var (i, expected) in new[] { (A, new[] { strict, amber, green }), (B, new[] { strict, amber, green }), (C, new[] { amber, green }) })
        {
            // Act
            var export = await ExportAsync(cluster, i);
            var feed = await FetchFeedAsync(cluster[i], export.Events.Keys);
            var missing = await GetStatusAsync(cluster[i], red.Uuid);
            var missingStrict = await GetStatusAsync(cluster[i], strict.Uuid);
            var greenOnly = await ExportAsync(cluster, i, "green");

            // Assert
            AssertFeed(cluster[i], "export misp", export, expected, [red]);
            AssertFeed(cluster[i], "HTTP feed", feed, expected, [red]);
            AssertSameFeed(cluster[i], export, feed);
            Assert.Equal(HttpStatusCode.NotFound, missing);
            Assert.Equal(expected.Contains(strict) ? HttpStatusCode.OK : HttpStatusCode.NotFound, missingStrict);
            AssertFeed(cluster[i], "export misp --max-tlp green", greenOnly, [green], [red, strict, amber]);
        }
    }

    [Fact]
    public async Task ImportedRedEvent_ToOneRecipient_PublishedOnlyToItAndNeverInMispExportOrFeed()
    {
        // Arrange: a MISP event tagged tlp:red (a sharing-group event), and a tlp:green one as the control.
        await using var cluster = await MeshCluster.StartAsync(3, output, Raised);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var folder = cluster.NewDirectory("misp-in");
        Directory.CreateDirectory(folder);
        const string redUuid = "5b0e3c0a-7d2f-4c61-9a0e-2f1d9d3c7a01", greenUuid = "5b0e3c0a-7d2f-4c61-9a0e-2f1d9d3c7a02";
        var redFile = Path.Combine(folder, "red.json");
        var greenFile = Path.Combine(folder, "green.json");
        await File.WriteAllTextAsync(redFile, MispEventJson(redUuid, $"RED {Canary} phishing wave", "tlp:red", "4",
            ("domain", "Network activity", $"{Canary}.example"), ("url", "Network activity", $"https://{Canary}.example/sso"), ("ip-dst", "Network activity", RedAddress)));
        await File.WriteAllTextAsync(greenFile, MispEventJson(greenUuid, "Green scanning campaign", "tlp:green", "1",
            ("ip-src", "Network activity", "198.51.100.21")));

        // Act
        var redImport = await cluster[A].CliAsync("import", "misp", redFile, "--to", cluster[B].Id.Text, "--json");
        var greenImport = await cluster[A].CliAsync("import", "misp", greenFile, "--json");

        // Assert: published once, as RED, to B alone.
        Assert.True(redImport.ExitCode == 0, redImport.ToString());
        Assert.True(greenImport.ExitCode == 0, greenImport.ToString());
        var redEvent = JsonNode.Parse(redImport.Stdout)!["events"]!.AsArray().Single()!;
        Assert.Equal("new", redEvent["action"]!.GetValue<string>());
        Assert.Equal("red", redEvent["tlp"]!.GetValue<string>());
        var redId = RecordId.TryParse(redEvent["id"]!.GetValue<string>(), out var parsedRed) ? parsedRed : throw new InvalidOperationException(redImport.ToString());
        var greenId = RecordId.TryParse(JsonNode.Parse(greenImport.Stdout)!["events"]![0]!["id"]!.GetValue<string>(), out var parsedGreen)
            ? parsedGreen : throw new InvalidOperationException(greenImport.ToString());
        var header = cluster[A].Node.Store.Get(redId)!.Header;
        Assert.Equal(Tlp.Red, header.Tlp);
        Assert.Equal(new[] { cluster[B].Id.Text }, header.Audience.Select(k => NodeId.FromPublicKey(k.Span).Text).Where(t => t != cluster[A].Id.Text).Distinct().ToList());
        await Retry.Until(() => cluster[B].Holds(redId) && cluster[B].Holds(greenId) && cluster[C].Holds(greenId),
            Timeouts.Converge, () => "B holds the imported RED and GREEN records and C the GREEN one; " + cluster.DescribeState());
        Assert.False(cluster[C].Holds(redId), "the outsider C holds the imported RED record");

        var red = new Published(redId, redUuid, $"RED {Canary} phishing wave", [$"{Canary}.example", $"https://{Canary}.example/sso", RedAddress]);
        var green = new Published(greenId, greenUuid, "Green scanning campaign", ["198.51.100.21"]);
        foreach (var i in new[] { A, B, C })
        {
            var export = await ExportAsync(cluster, i);
            var feed = await FetchFeedAsync(cluster[i], export.Events.Keys);
            AssertFeed(cluster[i], "export misp", export, [green], [red]);
            AssertFeed(cluster[i], "HTTP feed", feed, [green], [red]);
            AssertSameFeed(cluster[i], export, feed);
            Assert.Equal(HttpStatusCode.NotFound, await GetStatusAsync(cluster[i], redUuid));
        }
    }

    /// <summary>A record the test published, with what its MISP event must (or must never) show.</summary>
    private sealed record Published(RecordId Id, string Uuid, string Title, IReadOnlyList<string> Values);

    /// <summary>A MISP feed as files: the events by uuid, the manifest and hashes.csv, and every byte in one list.</summary>
    private sealed record FeedFiles(IReadOnlyDictionary<string, byte[]> Events, byte[] Manifest, byte[] Hashes)
    {
        public IEnumerable<(string Name, byte[] Bytes)> All =>
            Events.Select(e => (e.Key + ".json", e.Value)).Append((MispFeed.ManifestName, Manifest)).Append((MispFeed.HashesName, Hashes));
    }

    private static async Task<Published> PublishAsync(ClusterNode author, Tlp tlp, string title, NodeId[] to, params (string Type, string Value)[] indicators)
    {
        var request = new PublishRequest { Tlp = tlp, Advisory = new Advisory { Title = title, Body = $"{title}: details for the SOC." } };
        foreach (var (type, value) in indicators)
        {
            request.Advisory.Indicators.Add(new Indicator { Type = type, Value = value, Category = "Network activity", ToIds = true });
        }
        request.To.AddRange(to.Select(t => t.Text));
        var (channel, admin) = author.AdminClient();
        using (channel)
        {
            var reply = await admin.PublishAsync(request, deadline: DateTime.UtcNow + Timeouts.Call).ResponseAsync.Within(Timeouts.Call, $"publishing '{title}' on {author}");
            var id = RecordId.TryParse(reply.Id, out var parsed) ? parsed : throw new InvalidOperationException($"Admin.Publish returned '{reply.Id}'.");
            return new Published(id, MispUuid.ForRecord(reply.Id), title, indicators.Select(x => x.Value).ToList());
        }
    }

    private static string MispEventJson(string uuid, string info, string tlpTag, string distribution, params (string Type, string Category, string Value)[] attributes)
    {
        var list = new JsonArray();
        foreach (var (type, category, value) in attributes)
        {
            list.Add(new JsonObject { ["type"] = type, ["category"] = category, ["value"] = value, ["to_ids"] = true, ["distribution"] = "5" });
        }
        return new JsonObject
        {
            ["Event"] = new JsonObject
            {
                ["uuid"] = uuid,
                ["info"] = info,
                ["date"] = "2025-03-14",
                ["threat_level_id"] = "1",
                ["analysis"] = "2",
                ["distribution"] = distribution,
                ["timestamp"] = "1741950000",
                ["Tag"] = new JsonArray(new JsonObject { ["name"] = tlpTag }, new JsonObject { ["name"] = "type:OSINT" }),
                ["Attribute"] = list,
            },
        }.ToJsonString();
    }

    /// <summary>`i4c export misp --out DIR [--max-tlp LABEL]` on node <paramref name="i"/>, read back from the folder.</summary>
    private static async Task<FeedFiles> ExportAsync(MeshCluster cluster, int i, string? maxTlp = null)
    {
        var dir = cluster.NewDirectory("misp-out");
        string[] args = maxTlp is null ? ["export", "misp", "--out", dir] : ["export", "misp", "--out", dir, "--max-tlp", maxTlp];
        var result = await cluster[i].CliAsync(args);
        Assert.True(result.ExitCode == 0, $"{cluster[i]}: i4c {string.Join(' ', args)}: {result}");
        var events = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(dir))
        {
            var name = Path.GetFileName(file);
            if (name is not MispFeed.ManifestName and not MispFeed.HashesName)
            {
                Assert.EndsWith(".json", name, StringComparison.Ordinal);
                events[name[..^5]] = await File.ReadAllBytesAsync(file);
            }
        }
        return new FeedFiles(events, await File.ReadAllBytesAsync(Path.Combine(dir, MispFeed.ManifestName)), await File.ReadAllBytesAsync(Path.Combine(dir, MispFeed.HashesName)));
    }

    /// <summary>The HTTP feed through a real client: manifest.json, hashes.csv, and every event the manifest lists (and every one the export wrote).</summary>
    private static async Task<FeedFiles> FetchFeedAsync(ClusterNode node, IEnumerable<string> alsoAsk)
    {
        using var http = FeedClient(node);
        var manifest = await GetBytesAsync(http, MispFeed.ManifestName);
        var hashes = await GetBytesAsync(http, MispFeed.HashesName);
        var events = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var listed = JsonNode.Parse(manifest)!.AsObject().Select(p => p.Key);
        foreach (var uuid in listed.Union(alsoAsk, StringComparer.Ordinal))
        {
            events[uuid] = await GetBytesAsync(http, uuid + ".json");
        }
        return new FeedFiles(events, manifest, hashes);
    }

    private static async Task<HttpStatusCode> GetStatusAsync(ClusterNode node, string uuid)
    {
        using var http = FeedClient(node);
        using var response = await http.GetAsync(new Uri($"{MispFeedEndpoints.Prefix}/{uuid}.json", UriKind.Relative));
        return response.StatusCode;
    }

    private static HttpClient FeedClient(ClusterNode node)
    {
        var http = new HttpClient { BaseAddress = new Uri(node.Running.HttpUrl), Timeout = Timeouts.Call };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.Running.Data.ReadAdminToken());
        return http;
    }

    private static async Task<byte[]> GetBytesAsync(HttpClient http, string file)
    {
        using var response = await http.GetAsync(new Uri($"{MispFeedEndpoints.Prefix}/{file}", UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {file}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        return body;
    }

    /// <summary>
    /// The feed holds exactly the <paramref name="present"/> events, each with its title, TLP tag and
    /// values (also as MD5s in hashes.csv), and nothing of the <paramref name="absent"/> ones: not their
    /// uuid, title, canary or values as text anywhere, nor their values' MD5s in hashes.csv.
    /// </summary>
    private void AssertFeed(ClusterNode node, string what, FeedFiles feed, IReadOnlyList<Published> present, IReadOnlyList<Published> absent)
    {
        var manifest = JsonNode.Parse(feed.Manifest)!.AsObject();
        var hashLines = Encoding.UTF8.GetString(feed.Hashes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var want = string.Join(", ", present.Select(p => p.Uuid).Order(StringComparer.Ordinal));
        var listed = string.Join(", ", manifest.Select(p => p.Key).Order(StringComparer.Ordinal));
        var files = string.Join(", ", feed.Events.Keys.Order(StringComparer.Ordinal));
        Assert.True(want == listed, $"{node} {what}: manifest.json lists [{listed}], expected [{want}] ({string.Join(", ", present.Select(p => p.Title))})");
        Assert.True(want == files, $"{node} {what}: the event files are [{files}], expected [{want}]");
        Assert.All(hashLines, line => Assert.Contains(line.Split(',')[1], present.Select(p => p.Uuid)));
        foreach (var p in present)
        {
            var ev = JsonNode.Parse(feed.Events[p.Uuid])!["Event"]!;
            Assert.Equal(p.Uuid, ev["uuid"]!.GetValue<string>());
            Assert.Equal(p.Title, ev["info"]!.GetValue<string>());
            Assert.Equal(p.Title, manifest[p.Uuid]!["info"]!.GetValue<string>());
            var tags = ev["Tag"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
            Assert.Single(tags, t => t.StartsWith("tlp:", StringComparison.Ordinal));
            Assert.DoesNotContain("tlp:red", tags);
            Assert.Equal(p.Values.Order(StringComparer.Ordinal), ev["Attribute"]!.AsArray().Select(a => a!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            Assert.All(p.Values, v => Assert.Contains($"{Md5(v)},{p.Uuid}", hashLines));
        }
        foreach (var (name, bytes) in feed.All)
        {
            var text = Encoding.UTF8.GetString(bytes);
            Assert.DoesNotContain(Canary, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("tlp:red", text, StringComparison.OrdinalIgnoreCase);
            foreach (var a in absent)
            {
                Assert.False(text.Contains(a.Uuid, StringComparison.OrdinalIgnoreCase), $"{node} {what}: {name} names the withheld event {a.Uuid} ({a.Title})");
                Assert.False(text.Contains(a.Title, StringComparison.Ordinal), $"{node} {what}: {name} carries the withheld title '{a.Title}'");
                foreach (var v in a.Values)
                {
                    Assert.False(text.Contains(v, StringComparison.OrdinalIgnoreCase), $"{node} {what}: {name} carries the withheld value '{v}'");
                    Assert.False(text.Contains(Md5(v), StringComparison.Ordinal), $"{node} {what}: {name} carries the MD5 of the withheld value '{v}'");
                }
            }
        }
        output.WriteLine($"{node} {what}: {feed.Events.Count} event(s) ({string.Join(", ", present.Select(p => p.Title))}), {feed.All.Sum(f => f.Bytes.Length)} bytes, nothing of a withheld record");
    }

    /// <summary>The CLI export (Admin ExportMisp) and the HTTP feed are the same builder: byte for byte the same files.</summary>
    private static void AssertSameFeed(ClusterNode node, FeedFiles export, FeedFiles feed)
    {
        Assert.True(export.Manifest.AsSpan().SequenceEqual(feed.Manifest), $"{node}: manifest.json differs between export and HTTP feed");
        Assert.True(export.Hashes.AsSpan().SequenceEqual(feed.Hashes), $"{node}: hashes.csv differs between export and HTTP feed");
        Assert.All(export.Events, e => Assert.True(e.Value.AsSpan().SequenceEqual(feed.Events[e.Key]), $"{node}: {e.Key}.json differs between export and HTTP feed"));
    }

#pragma warning disable CA5351 // MISP's hashes.csv is defined with MD5; recomputed here to look for a withheld value.
    private static string Md5(string value) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)));
#pragma warning restore CA5351
}
