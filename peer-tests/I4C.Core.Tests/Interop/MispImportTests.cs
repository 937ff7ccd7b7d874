using I4C.Core.Interop.Misp;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Interop;

/// <summary>Reading and mapping MISP events: the real sample files, every wrapper, and every refusal.</summary>
[Trait("Category", "Unit")]
public sealed class MispImportTests
{
    private static readonly MispImportOptions NoDefault = new(null, HasRecipients: false);
    private static readonly MispImportOptions GreenDefault = new(Tlp.Green, HasRecipients: false);

    internal static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "misp", name);

    internal static IReadOnlyList<MispEvent> ReadSample(string name) => MispEventReader.Read(File.ReadAllBytes(Sample(name)), name);

    private static IReadOnlyList<MispEvent> ReadText(string json, string source = "test.json") => MispEventReader.Read(System.Text.Encoding.UTF8.GetBytes(json), source);

    [Fact]
    public void Map_CirclRansomwareEvent_KeepsEveryField()
    {
        // Arrange
        var e = ReadSample("57c4445b-c548-4654-af0b-4be3950d210f.json").Single();

        // Act
        var item = MispImportMapper.Map(e, NoDefault);

        // Assert
        var a = item.Advisory!;
        Assert.Equal("57c4445b-c548-4654-af0b-4be3950d210f", item.EventUuid);
        Assert.Equal(Tlp.Clear, item.Tlp); // tlp:white is TLP 1.0's CLEAR
        Assert.Equal("Ransomware - Xorist", a.Title);
        Assert.Equal("57c4445b-c548-4654-af0b-4be3950d210f", a.ExternalId);
        Assert.Equal(3, a.ThreatLevel); // "3" as a string
        Assert.Equal(2, a.Analysis);
        Assert.Equal(1472541011000, a.SourceTimestampUnixMs);
        Assert.Equal("2016-08-29", a.SourceDate);
        Assert.Equal(9, a.Indicators.Count);
        Assert.Equal(3, a.Tags.Count);
        Assert.DoesNotContain(a.Tags, t => t.StartsWith("tlp:", StringComparison.Ordinal));
        Assert.Contains("circl:incident-classification=\"malware\"", a.Tags);
        var sha256 = Assert.Single(a.Indicators, i => i.Type == "sha256");
        Assert.Equal("b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", sha256.Value);
        Assert.Equal("Payload delivery", sha256.Category);
        Assert.True(sha256.ToIds);
        Assert.Equal("57c4448b-3fa4-4d65-9ccc-4afa950d210f", sha256.Uuid);
        Assert.Equal("Imported via the Freetext Import Tool", sha256.Comment);
        var link = a.Indicators.First(i => i.Type == "link");
        Assert.False(link.ToIds);
        Assert.Equal("External analysis", link.Category);
        Assert.Single(a.Indicators, i => i.Type == "regkey|value");
        Assert.Empty(item.Notes);
    }

    [Fact]
    public void Map_LargeEventWithObjects_ImportsObjectAttributesWithTheirObject()
    {
        // Arrange
        var e = ReadSample("existing_event.json").Single();

        // Act
        var item = MispImportMapper.Map(e, NoDefault);

        // Assert
        var a = item.Advisory!;
        Assert.Equal("5a3c2fcd-8328-42bb-a95e-4f4402de0b81", item.EventUuid);
        Assert.Equal(Tlp.Clear, item.Tlp);
        Assert.Equal("OSINT - Sednit update: How Fancy Bear Spent the Year", a.Title);
        Assert.Equal(122, a.Indicators.Count); // 9 event attributes + 113 in 49 objects
        Assert.Equal(113, a.Indicators.Count(i => i.ObjectName.Length > 0));
        Assert.Equal(49, a.Indicators.Where(i => i.ObjectUuid.Length > 0).Select(i => i.ObjectUuid).Distinct().Count());
        Assert.All(a.Indicators.Where(i => i.ObjectName.Length > 0), i => Assert.NotEmpty(i.ObjectRelation));
        Assert.Equal(17, a.Tags.Count); // 18 tags less tlp:white
        Assert.Contains("misp-galaxy:threat-actor=\"Sofacy\"", a.Tags);
        Assert.Equal(19, a.Indicators.Count(i => i.Type == "domain"));
        Assert.Equal(12, a.Indicators.Count(i => i.Type == "ip-dst"));
        Assert.Contains(a.Indicators, i => i.Tags.Contains("osint:certainty=\"93\""));
        Assert.Equal(3, a.ThreatLevel);
        Assert.Equal(0, a.Analysis);
    }

    [Fact]
    public void Map_GalaxyEvent_ImportsAttributesTagsAndObjectTags()
    {
        // Arrange
        var e = ReadSample("galaxy_1.json").Single();

        // Act
        var item = MispImportMapper.Map(e, NoDefault);

        // Assert
        var a = item.Advisory!;
        Assert.Equal("5acc88e9-265c-4f22-9d2b-b702950d210f", item.EventUuid);
        Assert.Equal(Tlp.Clear, item.Tlp);
        Assert.Equal(10, a.Indicators.Count);
        Assert.Equal(11, a.Tags.Count);
        Assert.Contains(a.Indicators, i => i.Tags.Contains("misp-galaxy:stealer=\"TeleGrab\""));
        Assert.Single(a.Indicators, i => i.Type == "attachment");
        Assert.Single(a.Indicators, i => i.Type == "datetime");
    }

    [Fact]
    public void Map_ObjectsWithoutUuidsOrTlp_NeedsTheDefaultAndDerivesStableUuids()
    {
        // Arrange
        var e = ReadSample("event_obj_attr_tag.json").Single();

        // Act
        var refused = Assert.Throws<MispImportException>(() => MispImportMapper.Map(e, NoDefault));
        var item = MispImportMapper.Map(e, GreenDefault);
        var again = MispImportMapper.Map(ReadSample("event_obj_attr_tag.json").Single(), GreenDefault);

        // Assert
        Assert.Contains("event_obj_attr_tag.json", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--tlp-default", refused.Message, StringComparison.Ordinal);
        var a = item.Advisory!;
        Assert.Equal(Tlp.Green, item.Tlp);
        Assert.Equal(2, a.Indicators.Count);
        var file = Assert.Single(a.Indicators, i => i.ObjectName == "file");
        Assert.Equal(("filename", "bar", "filename", "file"), (file.Type, file.Value, file.ObjectRelation, file.ObjectMetaCategory));
        Assert.Equal(["blah"], file.Tags);
        var url = Assert.Single(a.Indicators, i => i.ObjectName == "url");
        Assert.Equal("https://www.circl.lu", url.Value);
        Assert.True(MispUuid.IsValid(file.ObjectUuid)); // "a" is not a uuid: one is derived
        Assert.NotEqual(file.ObjectUuid, url.ObjectUuid);
        Assert.True(MispUuid.IsValid(item.EventUuid));
        Assert.Equal(item.EventUuid, again.EventUuid); // derived from the content: the same file gets the same uuid
        Assert.Equal(a, again.Advisory);
        Assert.Contains(item.Notes, n => n.Contains("no uuid", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_TagsOnlyEvent_TitledByUuidWithTagsLevelAndAnalysis()
    {
        // Arrange
        var e = ReadSample("event_tags.json").Single();

        // Act
        var item = MispImportMapper.Map(e, GreenDefault);

        // Assert
        var a = item.Advisory!;
        Assert.Empty(a.Indicators);
        Assert.Equal(["bar", "baz", "foo"], a.Tags);
        Assert.Equal(1, a.ThreatLevel);
        Assert.Equal(1, a.Analysis);
        Assert.Equal("2017-12-31", a.SourceDate);
        Assert.Equal("This is a test", a.Title);
    }

    [Fact]
    public void Read_EverySampleFile_ReadsOneEventEach()
    {
        // Arrange
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "misp"), "*.json");

        // Act
        var counts = files.ToDictionary(f => Path.GetFileName(f)!, f => MispEventReader.Read(File.ReadAllBytes(f), f).Count);

        // Assert
        Assert.Equal(5, counts.Count);
        Assert.All(counts.Values, c => Assert.Equal(1, c));
    }

    [Fact]
    public void Read_TruncatedFile_NamesFileLineAndColumn()
    {
        // Arrange
        var bytes = File.ReadAllBytes(Sample("57c4445b-c548-4654-af0b-4be3950d210f.json"));

        // Act
        var ex = Assert.Throws<MispFormatException>(() => MispEventReader.Read(bytes.AsSpan(0, 1500), "cut.json"));

        // Assert
        Assert.StartsWith("cut.json: line 1, column ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongType_NamesTheFieldAndItsPosition()
    {
        // Arrange
        var json = "{\"Event\": {\"uuid\": \"57c4445b-c548-4654-af0b-4be3950d210f\", \"info\": \"x\",\n \"Attribute\": [\n  {\"type\": \"md5\", \"value\": \"0749bae92ca336a02c83d126e04ec628\", \"to_ids\": {\"yes\": 1}}]}}";

        // Act
        var ex = Assert.Throws<MispFormatException>(() => ReadText(json, "types.json"));

        // Assert
        Assert.StartsWith("types.json: line 3, column 74", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"to_ids\" must be true or false", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "expected a MISP event object")]
    [InlineData("{\"foo\": 1}", "not a MISP event")]
    [InlineData("{\"Event\": []}", "\"Event\" must be an object")]
    [InlineData("{\"Event\": {\"info\": \"x\", \"Attribute\": {}}}", "\"Attribute\" must be a list")]
    [InlineData("{\"Event\": {\"info\": \"x\", \"timestamp\": \"soon\"}}", "\"timestamp\" must be a whole number")]
    [InlineData("{\"Event\": {\"info\": \"x\", \"Attribute\": [{\"type\": \"md5\"}]}}", "has no \"value\"")]
    [InlineData("[]", "no MISP event")]
    [InlineData("", "not valid JSON")]
    public void Read_NotAnEvent_SaysWhatIsWrong(string json, string expected)
    {
        // Act
        var ex = Assert.Throws<MispFormatException>(() => ReadText(json, "bad.json"));

        // Assert
        Assert.StartsWith("bad.json: line 1, column", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BareListAndResponseWrappers_ReadTheSameEvents()
    {
        // Arrange
        const string Bare = "{\"uuid\": \"11111111-2222-4333-8444-555555555555\", \"info\": \"One\", \"threat_level_id\": 2, \"analysis\": \"1\", \"timestamp\": 1700000000, \"Tag\": [{\"name\": \"tlp:green\"}], \"Attribute\": [{\"type\": \"ip-dst\", \"category\": \"Network activity\", \"value\": \"203.0.113.7\", \"to_ids\": \"1\", \"unknown_field\": {\"x\": [1]}}]}";

        // Act
        var forms = new[]
        {
            ReadText(Bare),
            ReadText("{\"Event\": " + Bare + "}"),
            ReadText("[" + Bare + "]"),
            ReadText("{\"response\": [{\"Event\": " + Bare + "}]}"),
        }.Select(list => MispImportMapper.Map(list.Single(), NoDefault).Advisory).ToList();

        // Assert
        Assert.All(forms, a => Assert.Equal(forms[0], a));
        Assert.Equal(2, forms[0]!.ThreatLevel);
        Assert.Equal(1, forms[0]!.Analysis);
        Assert.True(forms[0]!.Indicators.Single().ToIds);
    }

    [Fact]
    public void Map_DistributionZero_IsSkippedNotShared()
    {
        // Arrange
        var e = ReadText(Event("\"distribution\": \"0\"")).Single();

        // Act
        var item = MispImportMapper.Map(e, NoDefault);

        // Assert
        Assert.True(item.Skipped);
        Assert.Null(item.Advisory);
        Assert.Contains("organisation only", item.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_SharingGroup_NeedsRecipients()
    {
        // Arrange
        var e = ReadText(Event("\"distribution\": 4")).Single();

        // Act
        var ex = Assert.Throws<MispImportException>(() => MispImportMapper.Map(e, NoDefault));
        var item = MispImportMapper.Map(e, NoDefault with { HasRecipients = true });

        // Assert
        Assert.Contains("--to", ex.Message, StringComparison.Ordinal);
        Assert.Contains("11111111-2222-4333-8444-555555555555", ex.Message, StringComparison.Ordinal);
        Assert.False(item.Skipped);
    }

    [Fact]
    public void Map_Red_NeedsRecipients()
    {
        // Arrange
        var e = ReadText(Event("\"distribution\": 1", tlp: "tlp:red")).Single();

        // Act
        var ex = Assert.Throws<MispImportException>(() => MispImportMapper.Map(e, NoDefault));
        var item = MispImportMapper.Map(e, NoDefault with { HasRecipients = true });

        // Assert
        Assert.Contains("TLP:RED", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Tlp.Red, item.Tlp);
    }

    [Fact]
    public void Map_AttributeTlpStricterThanEvent_RaisesTheWholeAdvisory()
    {
        // Arrange
        var json = "{\"uuid\": \"11111111-2222-4333-8444-555555555555\", \"info\": \"x\", \"Tag\": [{\"name\": \"tlp:green\"}], \"Attribute\": [{\"type\": \"domain\", \"value\": \"evil.example\", \"Tag\": [{\"name\": \"TLP:AMBER\"}, {\"name\": \"kept\"}]}]}";

        // Act
        var item = MispImportMapper.Map(ReadText(json).Single(), NoDefault);

        // Assert
        Assert.Equal(Tlp.Amber, item.Tlp);
        Assert.Equal(["kept"], item.Advisory!.Indicators.Single().Tags);
    }

    [Fact]
    public void Map_AttributeForOrganisationOnly_IsLeftOutAndNoted()
    {
        // Arrange
        var json = "{\"uuid\": \"11111111-2222-4333-8444-555555555555\", \"info\": \"x\", \"Tag\": [{\"name\": \"tlp:green\"}], \"Attribute\": [{\"type\": \"domain\", \"value\": \"a.example\", \"distribution\": \"0\"}, {\"type\": \"domain\", \"value\": \"b.example\", \"deleted\": true}, {\"type\": \"domain\", \"value\": \"c.example\", \"distribution\": \"5\"}]}";

        // Act
        var item = MispImportMapper.Map(ReadText(json).Single(), NoDefault);

        // Assert
        Assert.Equal(["c.example"], item.Advisory!.Indicators.Select(i => i.Value));
        Assert.Contains(item.Notes, n => n.Contains("organisation only", StringComparison.Ordinal));
        Assert.Contains(item.Notes, n => n.Contains("deleted", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tlp:ex:chr", "unknown TLP tag")]
    [InlineData("tlp:unclear", "unknown TLP tag")]
    public void Map_UnknownTlpTag_IsRefused(string tag, string expected)
    {
        // Act
        var ex = Assert.Throws<MispImportException>(() => MispImportMapper.Map(ReadText(Event("\"distribution\": 1", tag)).Single(), GreenDefault));

        // Assert
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_InvalidAttribute_RefusesOrIsLeftOutWhenAsked()
    {
        // Arrange
        var json = "{\"uuid\": \"11111111-2222-4333-8444-555555555555\", \"info\": \"x\", \"Tag\": [{\"name\": \"tlp:green\"}], \"Attribute\": [{\"type\": \"ip-dst\", \"value\": \"not-an-ip\"}, {\"type\": \"no-such-type\", \"value\": \"v\"}, {\"type\": \"md5\", \"value\": \"0749bae92ca336a02c83d126e04ec628\"}]}";
        var e = ReadText(json).Single();

        // Act
        var ex = Assert.Throws<MispImportException>(() => MispImportMapper.Map(e, NoDefault));
        var item = MispImportMapper.Map(e, NoDefault with { SkipInvalidAttributes = true });

        // Assert
        Assert.Contains("Attribute 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--skip-invalid", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["md5"], item.Advisory!.Indicators.Select(i => i.Type));
        Assert.Equal(2, item.Notes.Count(n => n.Contains("left out", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("\"distribution\": 5", "inherit")]
    [InlineData("\"distribution\": 9", "not a MISP distribution")]
    [InlineData("\"distribution\": 1, \"threat_level_id\": \"7\"", "threat_level_id 7")]
    [InlineData("\"distribution\": 1, \"date\": \"29/08/2016\"", "not YYYY-MM-DD")]
    public void Map_BadEventValues_AreRefusedNamingTheEvent(string fields, string expected)
    {
        // Act
        var ex = Assert.Throws<MispImportException>(() => MispImportMapper.Map(ReadText(Event(fields), "e.json").Single(), GreenDefault));

        // Assert
        Assert.StartsWith("e.json (event 11111111-2222-4333-8444-555555555555)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_SameOlderOrChangedEvent_UnchangedStaleOrSuperseding()
    {
        // Arrange
        var v1 = MispImportMapper.Map(ReadText(Event("\"distribution\": 1, \"timestamp\": \"100\"")).Single(), NoDefault).Advisory!;
        var v2 = MispImportMapper.Map(ReadText(Event("\"distribution\": 1, \"timestamp\": \"200\"")).Single(), NoDefault).Advisory!;
        var current = new MispCurrentVersion("ab", v2, Tlp.Green, []);

        // Act / Assert
        Assert.Equal(MispImportAction.New, MispImportDecision.Decide(null, v1, Tlp.Green, []));
        Assert.Equal(MispImportAction.Unchanged, MispImportDecision.Decide(current, v2.Clone(), Tlp.Green, []));
        Assert.Equal(MispImportAction.Stale, MispImportDecision.Decide(current, v1, Tlp.Green, []));
        Assert.Equal(MispImportAction.Superseding, MispImportDecision.Decide(current, v2.Clone(), Tlp.Amber, []));
        Assert.Equal(MispImportAction.Superseding, MispImportDecision.Decide(current, v2.Clone(), Tlp.Green, ["somebody"]));
        Assert.Equal(MispImportAction.Superseding, MispImportDecision.Decide(new MispCurrentVersion("ab", v1, Tlp.Green, []), v2, Tlp.Green, []));
    }

    [Fact]
    public void Derive_IsRfc4122Version5InTheI4CNamespace()
    {
        // uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:i4c:misp"), "i4c:record:" + "00" * 32) in Python
        Assert.Equal("59fd5dad-d3f1-55f2-923c-ad1093e83515", MispUuid.ForRecord(new string('0', 64)));
    }

    internal static string Event(string fields, string tlp = "tlp:green") =>
        "{\"Event\": {\"uuid\": \"11111111-2222-4333-8444-555555555555\", \"info\": \"Phishing wave\", " + fields +
        ", \"Tag\": [{\"name\": \"" + tlp + "\"}], \"Attribute\": [{\"type\": \"domain\", \"category\": \"Network activity\", \"value\": \"evil.example\", \"to_ids\": true}]}}";
}
