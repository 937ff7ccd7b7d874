using System.Text.Json.Nodes;
using I4C.Core.Interop.Stix;
using I4C.Protocol.V1;
using I4C.Tests.Shared;

namespace I4C.Core.Tests;

/// <summary>The STIX 2.1 mapping (Core/Interop/Stix): every object it writes validates against the official schemas.</summary>
public sealed class StixExportTests
{
    private const string AuthorA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string AuthorB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const long T0 = 1_714_557_600_000; // 2024-05-01T10:00:00Z

    /// <summary>One sample value per supported type, plus CIDR blocks and awkward characters.</summary>
    public static readonly (string Type, string Value)[] Samples =
    [
        ("ip-src", "203.0.113.5"),
        ("ip-dst", "2001:db8::1"),
        ("ip-dst", "198.51.100.77/24"),
        ("ip-src", "2001:db8:abcd::/48"),
        ("ip-src|port", "203.0.113.5|4444"),
        ("ip-dst|port", "2001:db8::7|443"),
        ("domain", "Evil.Example"),
        ("hostname", "mail.evil.example"),
        ("domain|ip", "evil.example|203.0.113.5"),
        ("url", "https://evil.example/login?user='admin'&p=\\x"),
        ("link", "https://evil.example/info"),
        ("email", "phish@evil.example"),
        ("email-src", "payroll@evil.example"),
        ("email-dst", "staff@city.example"),
        ("whois-registrant-email", "owner@evil.example"),
        ("email-subject", "Your \"payroll\" update isn't ready"),
        ("filename", "C:\\Users\\Public\\it's.exe"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("sha512", new string('a', 128)),
        ("ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA:s4Ud1L5RtHHlZDrwciQmA"),
        ("filename|md5", "invoice.pdf.exe|d41d8cd98f00b204e9800998ecf8427e"),
        ("filename|sha1", "a|b.dll|da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("filename|sha256", "dropper.js|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("mac-address", "00-1A-2B-3C-4D-5E"),
        ("AS", "AS64500"),
        ("port", "8443"),
        ("mutex", "Global\\mtx-'7'"),
        ("regkey", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
        ("user-agent", "Mozilla/5.0 (evil 'bot')"),
        ("x509-fingerprint-sha1", "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"),
        ("x509-fingerprint-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("yara", "rule evil { strings: $a = \"evil\" condition: $a }"),
        ("snort", "alert tcp any any -> any 443 (msg:\"evil\"; sid:1000001;)"),
        ("sigma", "title: evil\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image: evil.exe\n  condition: sel"),
    ];

    private static StixAuthor Author(string node) => node == AuthorA
        ? new StixAuthor(AuthorA, "City of Bonn", "DE", "eu-city", T0 - 86_400_000)
        : new StixAuthor(AuthorB, "Ville de Lyon", "FR", "eu-city", T0 - 3_600_000);

    private static StixSourceRecord Advisory(string id, Tlp tlp, long added, params (string Type, string Value)[] indicators)
    {
        var advisory = new Advisory { Title = "Phishing wave", Body = "Mails spoof the payroll office.", ExternalId = "5f0c1f2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f" };
        advisory.Tags.Add("phishing");
        advisory.Indicators.AddRange(indicators.Select(i => new Indicator { Type = i.Type, Value = i.Value, ToIds = true, Category = "Network activity", Comment = "seen on " + i.Type }));
        return new StixSourceRecord(id, AuthorA, RecordKind.Advisory, tlp, T0, added, advisory);
    }

    private static IReadOnlyList<StixSourceRecord> Everything()
    {
        var incident = new Incident { Title = "Ransomware in parking", Body = "Pay stations encrypted.", Impact = "No paid parking for 6 h.", Stage = IncidentStage.EarlyWarning };
        incident.Indicators.Add(new Indicator { Type = "sha256", Value = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FirstSeenUnixMs = T0 - 7_200_000, LastSeenUnixMs = T0 - 60_000 });
        var practice = new Practice { Title = "Offline backups", Body = "Keep a weekly offline copy.", Type = PracticeType.GoodPractice };
        practice.Domains.Add("BC");
        return
        [
            Advisory(new string('1', 64), Tlp.Green, T0 + 1, Samples),
            Advisory(new string('2', 64), Tlp.Clear, T0 + 2, ("vulnerability", "CVE-2024-3400"), ("text", "free text")),
            new StixSourceRecord(new string('3', 64), AuthorB, RecordKind.Incident, Tlp.Amber, T0, T0 + 3, incident),
            new StixSourceRecord(new string('4', 64), AuthorB, RecordKind.Practice, Tlp.AmberStrict, T0, T0 + 4, practice),
        ];
    }

    [Fact]
    public void Map_EveryIndicatorTypeAndKind_BundleValidatesAgainstOfficialSchemas()
    {
        // Arrange
        var records = Everything();

        // Act
        var export = StixMapper.Map(records, Author);
        var bundle = JsonNode.Parse(export.BundleJson())!;

        // Assert
        StixSchemas.AssertValidBundle(bundle);
        var objects = bundle["objects"]!.AsArray().Select(o => o!.AsObject()).ToList();
        var types = objects.GroupBy(o => (string)o["type"]!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Samples.Length + 1, export.Indicators);
        Assert.Equal(Samples.Length + 1, types["indicator"]);
        Assert.Equal(4, types["report"]);
        Assert.Equal(2, types["identity"]);
        Assert.Equal(4, types["marking-definition"]);
        Assert.Equal(new Dictionary<string, int> { ["text"] = 1, ["vulnerability"] = 1 }, export.Unsupported);
        Assert.Equal(Tlp.AmberStrict, export.Highest);
        // Every supported type is exercised by the samples.
        Assert.Empty(StixPatterns.SupportedTypes.Except(Samples.Select(s => s.Type)));
    }

    [Fact]
    public void Map_EveryObject_CarriesTheMarkingOfItsRecordAndTheBundleHoldsThatDefinition()
    {
        // Arrange
        var records = Everything();

        // Act
        var objects = JsonNode.Parse(StixMapper.Map(records, Author).BundleJson())!["objects"]!.AsArray().Select(o => o!.AsObject()).ToList();

        // Assert
        var definitions = objects.Where(o => (string)o["type"]! == "marking-definition").Select(o => (string)o["id"]!).ToHashSet();
        foreach (var o in objects.Where(o => (string)o["type"]! != "marking-definition"))
        {
            var refs = o["object_marking_refs"]!.AsArray().Select(r => (string)r!).ToList();
            Assert.Single(refs);
            Assert.Contains(refs[0], definitions);
        }
        string MarkingOf(string id) => (string)objects.Single(o => (string)o["id"]! == id)["object_marking_refs"]![0]!;
        Assert.Equal(StixMarkings.Green, MarkingOf(StixIds.ForRecord("report", new string('1', 64))));
        Assert.Equal(StixMarkings.Green, MarkingOf(StixIds.ForIndicator(new string('1', 64), 0)));
        Assert.Equal(StixMarkings.Amber, MarkingOf(StixIds.ForRecord("report", new string('3', 64))));
        Assert.Equal(StixMarkings.AmberStrict, MarkingOf(StixIds.ForRecord("report", new string('4', 64))));
        Assert.Equal(StixMarkings.Clear, MarkingOf(StixIds.ForNode(AuthorA)));
        Assert.DoesNotContain(StixMarkings.Red, definitions);
    }

    [Fact]
    public void MarkingDefinitions_AreTheOasisTlp2Objects()
    {
        // Arrange
        var expected = new Dictionary<Tlp, (string Id, string Name, string Value)>
        {
            [Tlp.Clear] = ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
            [Tlp.Green] = ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
            [Tlp.Amber] = ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
            [Tlp.AmberStrict] = ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict"),
            [Tlp.Red] = ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
        };

        foreach (var (tlp, (id, name, value)) in expected)
        {
            // Act
            var definition = StixMarkings.Definition(tlp);

            // Assert
            var official = JsonNode.Parse($$$"""
                {"type":"marking-definition","spec_version":"2.1","id":"{{{id}}}","created":"2022-10-01T00:00:00.000Z","name":"{{{name}}}",
                 "extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"{{{value}}}"} } }
                """);
            Assert.True(JsonNode.DeepEquals(official, definition), $"{name}: {definition.ToJsonString()}");
            Assert.Empty(StixSchemas.Problems(definition));
        }
    }

    [Fact]
    public void Map_SameRecordsTwice_SameIdsAndSameBundle()
    {
        // Arrange
        var records = Everything();

        // Act
        var first = StixMapper.Map(records, Author).BundleJson();
        var second = StixMapper.Map(records.Reverse(), Author).BundleJson();

        // Assert
        Assert.Equal(first, second);
        Assert.Equal("report--" + StixIds.Uuid5(StixIds.Namespace, "record:" + new string('1', 64)), StixIds.ForRecord("report", new string('1', 64)));
    }

    [Fact]
    public void Uuid5_KnownVector_MatchesRfc()
    {
        // Arrange: RFC 9562's DNS namespace; uuid5(NAMESPACE_DNS, "python.org") as Python's uuid module computes it.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        // Act
        var uuid = StixIds.Uuid5(dns, "python.org");

        // Assert
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), uuid);
    }

    [Fact]
    public void Map_Indicator_ValidFromFirstSeenElseRecordTime()
    {
        // Arrange
        var records = Everything();

        // Act
        var objects = StixMapper.Map(records, Author).Objects.ToDictionary(e => e.Id, e => e.Object);

        // Assert
        var seen = objects[StixIds.ForIndicator(new string('3', 64), 0)];
        Assert.Equal(StixMapper.Timestamp(T0 - 7_200_000), (string)seen["valid_from"]!);
        Assert.Equal(StixMapper.Timestamp(T0 - 60_000), (string)seen["valid_until"]!);
        var unseen = objects[StixIds.ForIndicator(new string('1', 64), 0)];
        Assert.Equal("2024-05-01T10:00:00.000Z", (string)unseen["valid_from"]!);
        Assert.Null(unseen["valid_until"]);
        Assert.Equal("[ipv4-addr:value = '203.0.113.5']", (string)unseen["pattern"]!);
        Assert.Equal(StixIds.ForNode(AuthorA), (string)unseen["created_by_ref"]!);
        var report = objects[StixIds.ForRecord("report", new string('1', 64))];
        Assert.Equal("Phishing wave", (string)report["name"]!);
        Assert.Equal(["i4c:advisory", "phishing"], report["labels"]!.AsArray().Select(l => (string)l!));
        Assert.Equal(Samples.Length, report["object_refs"]!.AsArray().Count);
        Assert.Equal("5f0c1f2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f", (string)report["external_references"]![1]!["external_id"]!);
        Assert.Equal("City of Bonn", (string)objects[StixIds.ForNode(AuthorA)]["name"]!);
    }

    [Fact]
    public void Map_RedRecord_Throws()
    {
        // Arrange
        var red = Advisory(new string('9', 64), Tlp.Red, T0);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => StixMapper.Map([red], Author));
    }

    [Fact]
    public void Map_Nothing_EmptyBundleStillValid()
    {
        // Act
        var bundle = JsonNode.Parse(StixMapper.Map([], Author).BundleJson())!;

        // Assert
        StixSchemas.AssertValidBundle(bundle);
        Assert.Null(bundle["objects"]);
    }
}
