using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using I4C.Core.Interop.Stix;
using I4C.Node.Interop;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Tests.Shared;

namespace I4C.Node.Tests;

/// <summary>The read-only TAXII 2.1 server, through a real HttpClient against a real node's admin HTTP listener.</summary>
[Trait("Category", "Integration")]
public sealed class TaxiiTests
{
    private static readonly string Green = TaxiiEndpoints.CollectionsFor(Tlp.Green).Single(c => c.Alias == "tlp-green").Id;
    private static readonly string Amber = TaxiiEndpoints.CollectionsFor(Tlp.Amber).Single(c => c.Alias == "tlp-amber").Id;
    private static readonly string AmberStrict = TaxiiEndpoints.CollectionsFor(Tlp.AmberStrict).Single(c => c.Alias == "tlp-amber+strict").Id;

    /// <summary>A node with export ceiling AMBER holding four CLEAR advisories (two indicators each) and one record of each other label.</summary>
    private static async Task<TestNode> StartWithRecordsAsync()
    {
        var node = await TestNode.StartAsync(o => o with { ExportMaxTlp = Tlp.Amber });
        for (var i = 0; i < 4; i++)
        {
            await node.Admin.PublishAsync(Requests.Advisory($"Clear advisory {i}", tlp: Tlp.Clear,
                indicators: [Requests.Indicator("ip-dst", $"203.0.113.{i + 1}"), Requests.Indicator("domain", $"evil{i}.example")]));
        }
        await node.Admin.PublishAsync(Requests.Advisory("Green advisory", tlp: Tlp.Green, indicators: [Requests.Indicator("sha256", new string('a', 64))]));
        await node.Admin.PublishAsync(Requests.Incident("Amber incident", tlp: Tlp.Amber));
        await node.Admin.PublishAsync(Requests.Advisory("Strict advisory", tlp: Tlp.AmberStrict, indicators: [Requests.Indicator("url", "https://strict.example/x")]));
        return node;
    }

    private static HttpClient Client(TestNode node, string? accept = TaxiiEndpoints.MediaType, bool token = true)
    {
        var http = new HttpClient { BaseAddress = new Uri(node.Host.HttpUrl) };
        if (token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.AdminToken);
        }
        if (accept is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Accept", accept);
        }
        return http;
    }

    private static async Task<(HttpResponseMessage Response, JsonNode Body)> GetAsync(HttpClient http, string path)
    {
        var response = await http.GetAsync(new Uri(path, UriKind.Relative)).WithTimeout();
        var text = await response.Content.ReadAsStringAsync();
        return (response, JsonNode.Parse(text)!);
    }

    [Fact]
    public async Task Discovery_AndApiRoot_DescribeTheServer()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = Client(node);

        // Act
        var (discovery, body) = await GetAsync(http, "/taxii2/");
        var (root, rootBody) = await GetAsync(http, "/taxii2/api/");

        // Assert
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal("application/taxii+json; version=2.1", discovery.Content.Headers.ContentType!.ToString());
        Assert.Equal("/taxii2/api/", (string)body["default"]!);
        Assert.Equal(["/taxii2/api/"], body["api_roots"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal(["application/taxii+json;version=2.1"], rootBody["versions"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public async Task Collections_CeilingAmber_ClearGreenAmberOnlyReadOnly()
    {
        // Arrange
        await using var node = await TestNode.StartAsync(o => o with { ExportMaxTlp = Tlp.Amber });
        using var http = Client(node);

        // Act
        var (response, body) = await GetAsync(http, "/taxii2/api/collections/");
        var (one, described) = await GetAsync(http, $"/taxii2/api/collections/{Amber}/");
        var (strict, _) = await GetAsync(http, $"/taxii2/api/collections/{AmberStrict}/");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var collections = body["collections"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(["tlp-clear", "tlp-green", "tlp-amber"], collections.Select(c => (string)c["alias"]!));
        Assert.All(collections, c => Assert.True((bool)c["can_read"]! && !(bool)c["can_write"]!));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(Amber, (string)described["id"]!);
        Assert.Equal(HttpStatusCode.NotFound, strict.StatusCode); // above the ceiling: no such collection
    }

    [Fact]
    public async Task Objects_PagedWithLimit_EveryObjectOnceInOrderAndSchemaValid()
    {
        // Arrange
        await using var node = await StartWithRecordsAsync();
        using var http = Client(node);
        var (_, manifest) = await GetAsync(http, $"/taxii2/api/collections/{Amber}/manifest/?limit=1000");
        var expected = manifest["objects"]!.AsArray().Select(o => (string)o!["id"]!).ToList();

        // Act: pages of 4 until more is false
        var seen = new List<JsonObject>();
        string? next = null;
        var pages = 0;
        do
        {
            var (response, page) = await GetAsync(http, $"/taxii2/api/collections/{Amber}/objects/?limit=4" + (next is null ? string.Empty : "&next=" + Uri.EscapeDataString(next)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var objects = page["objects"]!.AsArray().Select(o => o!.AsObject()).ToList();
            Assert.InRange(objects.Count, 1, 4);
            Assert.True(response.Headers.Contains("X-TAXII-Date-Added-First") && response.Headers.Contains("X-TAXII-Date-Added-Last"));
            seen.AddRange(objects);
            next = (bool)page["more"]! ? (string)page["next"]! : null;
            pages++;
        }
        while (next is not null && pages < 50);

        // Assert: 4 clear reports + 8 indicators, green report + 1, amber report, 2 markings... (no AMBER+STRICT), several pages
        Assert.True(pages >= 4, $"{pages} pages");
        Assert.Equal(expected, seen.Select(o => (string)o["id"]!));
        Assert.Equal(seen.Count, seen.Select(o => (string)o["id"]!).Distinct().Count());
        Assert.Equal(6, seen.Count(o => (string)o["type"]! == "report"));
        Assert.Equal(9, seen.Count(o => (string)o["type"]! == "indicator"));
        Assert.DoesNotContain(seen, o => (string?)o["name"] == "Strict advisory");
        Assert.DoesNotContain(seen, o => o["object_marking_refs"]?.AsArray().Any(m => (string)m! is StixMarkings.AmberStrict or StixMarkings.Red) == true);
        foreach (var o in seen)
        {
            Assert.Empty(StixSchemas.Problems(o));
        }
        StixSchemas.AssertValidBundle(new JsonObject { ["type"] = "bundle", ["id"] = StixIds.For("bundle", "test"), ["objects"] = new JsonArray(seen.Select(o => (JsonNode)o.DeepClone()).ToArray()) });
    }

    [Fact]
    public async Task Objects_AddedAfter_OnlyLaterObjects()
    {
        // Arrange
        await using var node = await StartWithRecordsAsync();
        using var http = Client(node);
        var (_, manifest) = await GetAsync(http, $"/taxii2/api/collections/{Green}/manifest/");
        var entries = manifest["objects"]!.AsArray().Select(o => (Id: (string)o!["id"]!, Added: (string)o["date_added"]!)).ToList();
        var cut = entries.Select(e => e.Added).Distinct().Order(StringComparer.Ordinal).First();

        // Act
        var (response, page) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/?added_after={cut}");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ids = page["objects"]!.AsArray().Select(o => (string)o!["id"]!).ToList();
        Assert.Equal(entries.Where(e => string.CompareOrdinal(e.Added, cut) > 0).Select(e => e.Id), ids);
        Assert.NotEmpty(ids);
        Assert.True(ids.Count < entries.Count);
    }

    [Fact]
    public async Task Objects_MatchType_OnlyThatType_AndMatchIdOne()
    {
        // Arrange
        await using var node = await StartWithRecordsAsync();
        using var http = Client(node);

        // Act
        var (_, indicators) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/?match[type]=indicator");
        var first = (string)indicators["objects"]![0]!["id"]!;
        var (_, byId) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/?match[id]={first}");
        var (single, one) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/{first}/");
        var (_, both) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/?match[type]=report,identity");

        // Assert
        Assert.Equal(9, indicators["objects"]!.AsArray().Count);
        Assert.All(indicators["objects"]!.AsArray(), o => Assert.Equal("indicator", (string)o!["type"]!));
        Assert.Equal([first], byId["objects"]!.AsArray().Select(o => (string)o!["id"]!));
        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        Assert.Equal(first, (string)one["objects"]![0]!["id"]!);
        Assert.Equal(["identity", "report", "report", "report", "report", "report"], both["objects"]!.AsArray().Select(o => (string)o!["type"]!).Order());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/html")]
    [InlineData("application/taxii+json;version=2.0")]
    public async Task AnyEndpoint_WrongAccept_406WithTaxiiError(string accept)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = Client(node, accept);

        // Act
        var (response, body) = await GetAsync(http, "/taxii2/api/collections/");

        // Assert
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("406", (string)body["http_status"]!);
        Assert.False(string.IsNullOrEmpty((string?)body["title"]));
    }

    [Theory]
    [InlineData("application/stix+json;version=2.1")]
    [InlineData("*/*")]
    [InlineData("application/taxii+json")]
    public async Task Collections_OtherAcceptableAccept_200(string accept)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = Client(node, accept);

        // Act
        var (response, _) = await GetAsync(http, "/taxii2/api/collections/");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Objects_NoToken_401()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = Client(node, token: false);

        // Act
        var (response, body) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/taxii+json; version=2.1", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("401", (string)body["http_status"]!);
    }

    [Theory]
    [InlineData("/taxii2/api/collections/00000000-0000-4000-8000-000000000000/objects/", 404)]
    [InlineData("/taxii2/api/collections/GREEN/objects/indicator--00000000-0000-4000-8000-000000000000/", 404)]
    [InlineData("/taxii2/nowhere/", 404)]
    [InlineData("/taxii2/api/collections/GREEN/objects/?limit=0", 400)]
    [InlineData("/taxii2/api/collections/GREEN/objects/?limit=ten", 400)]
    [InlineData("/taxii2/api/collections/GREEN/objects/?next=bm90LWEtdG9rZW4", 400)]
    [InlineData("/taxii2/api/collections/GREEN/manifest/?added_after=yesterday", 400)]
    public async Task BadRequests_TaxiiErrorBody(string path, int status)
    {
        // Arrange
        await using var node = await StartWithRecordsAsync();
        using var http = Client(node);

        // Act
        var (response, body) = await GetAsync(http, path.Replace("GREEN", Green, StringComparison.Ordinal));

        // Assert
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)body["http_status"]!);
        Assert.False(string.IsNullOrEmpty((string?)body["description"]));
    }

    [Fact]
    public async Task Objects_Post_405ReadOnly()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        using var http = Client(node);
        using var content = new StringContent("{}", System.Text.Encoding.UTF8, "application/taxii+json");

        // Act
        using var response = await http.PostAsync(new Uri($"/taxii2/api/collections/{Green}/objects/", UriKind.Relative), content).WithTimeout();

        // Assert
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Collections_DefaultCeilingGreen_AmberNeverServed()
    {
        // Arrange: the node's ceiling is the default, GREEN
        await using var node = await TestNode.StartAsync();
        await node.Admin.PublishAsync(Requests.Advisory("Green one", tlp: Tlp.Green, indicators: [Requests.Indicator("domain", "g.example")]));
        await node.Admin.PublishAsync(Requests.Advisory("Amber one", tlp: Tlp.Amber, indicators: [Requests.Indicator("domain", "a.example")]));
        using var http = Client(node);

        // Act
        var (_, objects) = await GetAsync(http, $"/taxii2/api/collections/{Green}/objects/");
        var (amber, _) = await GetAsync(http, $"/taxii2/api/collections/{Amber}/objects/");

        // Assert
        var names = objects["objects"]!.AsArray().Select(o => (string?)o!["name"]).ToList();
        Assert.Contains("Green one", names);
        Assert.DoesNotContain("Amber one", names);
        Assert.DoesNotContain("domain: a.example", names);
        Assert.Equal(HttpStatusCode.NotFound, amber.StatusCode);
    }
}
