using System.Security.Cryptography;
using System.Text.Json.Nodes;
using I4C.Core.Interop.Misp;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Interop;

/// <summary>The MISP feed writer: file layout, hashes.csv, uuids, and export → import → export.</summary>
[Trait("Category", "Unit")]
public sealed class MispFeedBuilderTests
{
    private const string Author = "t7eppmrrzbd5bkr2korkxz6dxsrglqhnkcj7vjyk6ccvghqojp4a";

    private static MispFeedEntry Entry(Advisory advisory, Tlp tlp = Tlp.Clear, string id = "aa", long created = 1_700_000_000_000) =>
        new(id.PadRight(64, '0'), advisory, tlp, false, created, "City of Testville", Author);

    [Theory]
    [InlineData("57c4445b-c548-4654-af0b-4be3950d210f.json")]
    [InlineData("existing_event.json")]
    [InlineData("galaxy_1.json")]
    [InlineData("event_obj_attr_tag.json")]
    [InlineData("event_tags.json")]
    public void ExportImportExport_EverySample_GivesTheSameEvents(string sample)
    {
        // Arrange
        var first = MispImportMapper.Map(MispImportTests.ReadSample(sample).Single(), new MispImportOptions(Tlp.Green, false));
        var feed1 = MispFeedBuilder.Build([Entry(first.Advisory!, first.Tlp)]);

        // Act: the exported file read back as a city's MISP export, then exported again by another record
        var (uuid, json) = feed1.Events.Single();
        var second = MispImportMapper.Map(MispEventReader.Read(json, uuid + ".json").Single(), new MispImportOptions(null, false));
        var feed2 = MispFeedBuilder.Build([Entry(second.Advisory!, second.Tlp, id: "bb", created: 1_800_000_000_000)]);

        // Assert
        Assert.Equal(first.EventUuid, uuid);
        Assert.Equal(first.Tlp, second.Tlp);
        Assert.Equal(Essence(feed1.Events[uuid]), Essence(feed2.Events.Single().Value));
        Assert.Equal(feed1.Hashes, feed2.Hashes);
        Assert.Equal(first.Advisory!.Indicators, second.Advisory!.Indicators);
        Assert.Equal(first.Advisory.Tags, second.Advisory.Tags);
    }

    [Fact]
    public void Build_CirclEvent_WritesManifestHashesAndEvent()
    {
        // Arrange
        var item = MispImportMapper.Map(MispImportTests.ReadSample("57c4445b-c548-4654-af0b-4be3950d210f.json").Single(), new MispImportOptions(null, false));

        // Act
        var feed = MispFeedBuilder.Build([Entry(item.Advisory!, Tlp.Clear)]);

        // Assert
        var manifest = JsonNode.Parse(feed.Manifest)!.AsObject();
        var summary = manifest["57c4445b-c548-4654-af0b-4be3950d210f"]!;
        Assert.Equal("Ransomware - Xorist", (string?)summary["info"]);
        Assert.Equal(1472541011, (long)summary["timestamp"]!);
        Assert.Equal("2016-08-29", (string?)summary["date"]);
        Assert.Equal("tlp:clear", (string?)summary["Tag"]![0]!["name"]);
        var lines = System.Text.Encoding.UTF8.GetString(feed.Hashes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var md5OfSha256 = Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.UTF8.GetBytes("b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68")));
        Assert.Contains($"{md5OfSha256},57c4445b-c548-4654-af0b-4be3950d210f", lines);
        Assert.Equal(10, lines.Length); // 9 values, the regkey|value one hashed as two parts
        var e = JsonNode.Parse(feed.Events["57c4445b-c548-4654-af0b-4be3950d210f"])!["Event"]!;
        Assert.Equal(9, e["Attribute"]!.AsArray().Count);
        Assert.Equal("City of Testville", (string?)e["Orgc"]!["name"]);
        Assert.Equal("1", (string?)e["distribution"]);
    }

    [Fact]
    public void Build_NativeAdvisory_GetsUuidDerivedFromTheRecordIdAndKeepsItsBody()
    {
        // Arrange
        var advisory = new Advisory { Title = "Patch the VPN", Body = "Patch **now**." };
        advisory.Indicators.Add(new Indicator { Type = "ip-dst", Value = "203.0.113.7", ToIds = true });
        advisory.Indicators.Add(new Indicator { Type = "filename", Value = "a.exe", ObjectName = "file", ObjectRelation = "filename" });

        // Act
        var feed = MispFeedBuilder.Build([Entry(advisory, Tlp.Green, id: "cd")]);
        var again = MispFeedBuilder.Build([Entry(advisory, Tlp.Green, id: "cd")]);

        // Assert
        var uuid = MispUuid.ForRecord("cd".PadRight(64, '0'));
        Assert.Equal([uuid], feed.Events.Keys);
        Assert.Equal(feed.Events[uuid], again.Events[uuid]); // stable across exports
        var e = JsonNode.Parse(feed.Events[uuid])!["Event"]!;
        Assert.Equal("Patch **now**.", (string?)e["EventReport"]![0]!["content"]);
        Assert.Single(e["Object"]!.AsArray());
        Assert.Equal("4", (string?)e["threat_level_id"]); // undefined
        var roundTrip = MispImportMapper.Map(MispEventReader.Read(feed.Events[uuid], "x").Single(), new MispImportOptions(null, false));
        Assert.Equal("Patch **now**.", roundTrip.Advisory!.Body);
        Assert.Equal(Tlp.Green, roundTrip.Tlp);
    }

    [Fact]
    public void Build_TwoRecordsOfOneEvent_KeepsTheNewestVersion()
    {
        // Arrange
        var older = new Advisory { Title = "v1", ExternalId = "11111111-2222-4333-8444-555555555555", SourceTimestampUnixMs = 1000 };
        var newer = new Advisory { Title = "v2", ExternalId = "11111111-2222-4333-8444-555555555555", SourceTimestampUnixMs = 2000 };

        // Act
        var feed = MispFeedBuilder.Build([Entry(newer, id: "01", created: 1), Entry(older, id: "02", created: 2)]);

        // Assert
        var e = JsonNode.Parse(feed.Events.Single().Value)!["Event"]!;
        Assert.Equal("v2", (string?)e["info"]);
    }

    /// <summary>What must survive a round trip: uuids, attribute values, types, categories, tags, objects.</summary>
    private static string Essence(byte[] eventJson)
    {
        var e = JsonNode.Parse(eventJson)!["Event"]!;
        static string Attr(JsonNode a) => $"{a["uuid"]}|{a["type"]}|{a["category"]}|{a["value"]}|{a["to_ids"]}|{a["object_relation"]}|{a["Tag"]?.ToJsonString()}";
        var lines = new List<string>
        {
            $"{e["uuid"]}|{e["info"]}|{e["date"]}|{e["threat_level_id"]}|{e["analysis"]}|{e["timestamp"]}|{e["Tag"]!.ToJsonString()}",
        };
        lines.AddRange(e["Attribute"]!.AsArray().Select(a => Attr(a!)));
        foreach (var o in e["Object"]!.AsArray())
        {
            lines.Add($"object {o!["uuid"]}|{o["name"]}|{o["meta-category"]}");
            lines.AddRange(o["Attribute"]!.AsArray().Select(a => Attr(a!)));
        }
        return string.Join('\n', lines);
    }
}
