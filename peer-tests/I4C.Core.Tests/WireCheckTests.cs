using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using I4C.Core.Encoding;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Tests;

/// <summary>
/// <see cref="WireCheck"/> accepts exactly what Google.Protobuf's parser accepts: the same corpus of valid,
/// mutated, random and hand-made hostile encodings is run through both for every payload type (and for
/// <c>Struct</c>/<c>Value</c>, which bring maps, oneofs and unbounded nesting).
/// </summary>
[Trait("Category", "Unit")]
public sealed class WireCheckTests
{
    private static readonly MessageDescriptor[] Types =
    [
        .. System.Enum.GetValues<RecordKind>().Select(PayloadCodec.DescriptorFor).OfType<MessageDescriptor>(),
        Struct.Descriptor,
        Value.Descriptor,
    ];

    public static TheoryData<string> TypeNames() => [.. Types.Select(t => t.FullName)];

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Corpus_AcceptedExactlyWhenTheParserAccepts(string typeName)
    {
        // Arrange
        var type = Types.Single(t => t.FullName == typeName);

        // Act & Assert
        var accepted = 0;
        foreach (var input in Corpus())
        {
            var parses = Parses(type, input);
            var problem = WireCheck.Problem(type, input);
            Assert.True(parses == (problem is null),
                $"{typeName}: parser {(parses ? "accepts" : "refuses")}, WireCheck says {problem ?? "fine"}, for {Convert.ToHexString(input)}");
            accepted += parses ? 1 : 0;
        }
        Assert.InRange(accepted, 50, int.MaxValue); // the corpus is not all garbage for this type
    }

    [Fact]
    public void PayloadCodec_InvalidUtf8InATitle_NamesTheField()
    {
        // Arrange: field 1 (title) holding 0xFF.
        byte[] payload = [0x0a, 0x03, 0x61, 0xff, 0x62];

        // Act
        var problem = PayloadCodec.Problem(RecordKind.Advisory, payload);

        // Assert
        Assert.Equal("the advisory payload does not parse: field 1 (title): invalid UTF-8", problem);
    }

    [Theory]
    [InlineData(98)]
    [InlineData(99)]
    [InlineData(100)]
    [InlineData(101)]
    [InlineData(102)]
    public void NestedMessages_AroundTheRecursionLimit_SameAnswerAsTheParser(int levels)
    {
        // Arrange: Value{list_value (6): ListValue{values (1): [Value{…}]}}, `levels` messages below the top one.
        var inner = new Value { NumberValue = 1 }.ToByteArray();
        for (var i = 0; i < levels; i++)
        {
            inner = Wrap(i % 2 == 0 ? 1 : 6, inner);
        }
        var type = levels % 2 == 0 ? Value.Descriptor : ListValue.Descriptor;

        // Act
        var problem = WireCheck.Problem(type, inner);

        // Assert: the parser's limit is 100 levels; both say the same on either side of it.
        Assert.Equal(Parses(type, inner), problem is null);
        Assert.Equal(levels <= WireCheck.RecursionLimit, problem is null);
    }

    private static bool Parses(MessageDescriptor type, byte[] input)
    {
        try
        {
            type.Parser.ParseFrom(input);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    /// <summary>Length-delimited field <paramref name="field"/> holding <paramref name="body"/>.</summary>
    private static byte[] Wrap(int field, byte[] body)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(body));
        output.Flush();
        return stream.ToArray();
    }

    private static IEnumerable<byte[]> Corpus()
    {
        var random = new Random(20261125);
        List<byte[]> valid =
        [
            new Advisory
            {
                Title = "Phishing wave against Ljubljana's payroll — žrtve",
                Body = "Senders spoof the finance office.",
                Indicators = { new Indicator { Type = "domain", Value = "payroll-update.example", ToIds = true, FirstSeenUnixMs = 1_764_000_000_000 }, new Indicator { Type = "ip-dst", Value = "192.0.2.7" } },
                Tags = { "tlp:green", "phishing" },
                ThreatLevel = 2,
            }.ToByteArray(),
            new Incident { Title = "Ransomware at the water utility", Impact = "Billing down 3 days", Stage = IncidentStage.Notification }.ToByteArray(),
            new MemberCard { Name = "City of Bonn", Country = "DE", MeshEndpoints = { "bonn.example:7411" } }.ToByteArray(),
            new Retraction { Reason = "sent by mistake" }.ToByteArray(),
            Struct.Parser.ParseJson("""{"a": [1, "zwei", {"b": null, "c": [true, false]}], "d": {"e": "ä"}}""").ToByteArray(),
            [],
        ];
        List<byte[]> hostile =
        [
            [0x0a, 0x03, 0x61, 0xff, 0x62], // invalid UTF-8 in field 1
            [0x0a, 0x02, 0xed, 0xa0], // a lone surrogate's encoding, truncated
            [0x0a, 0x03, 0xed, 0xa0, 0x80], // a surrogate
            [0x0a, 0x02, 0xc0, 0x80], // overlong NUL
            [0x00, 0x01], // field number 0
            [0x0e], [0x0f], // wire types 6 and 7
            [0x1b, 0x08, 0x01, 0x1c], // group 3 with a varint inside, closed
            [0x1b, 0x08, 0x01], // group 3 not closed
            [0x1b, 0x24], // group 3 closed by end-group 4
            [0x1c], // end-group without start
            [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 10-byte varint
            [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 11-byte varint
            [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], // negative length
            [0x0a, 0x80, 0x80, 0x80, 0x80, 0x10], // length 2^32: low 32 bits are 0
            [0x1a, 0x03, 0x0a, 0x01, 0xff], // an indicator (field 3) whose type is invalid UTF-8
            [0x1a, 0x02, 0x1c, 0x00], // an end-group inside a nested message
            [0x11, 0x01, 0x02, 0x03], // a truncated fixed64
            [0x15, 0x01, 0x02, 0x03, 0x04], // a fixed32
            [0x08, 0x80], // a truncated varint
        ];
        foreach (var input in valid.Concat(hostile))
        {
            yield return input;
        }
        foreach (var seed in valid.Concat(hostile))
        {
            for (var i = 0; i < 300; i++)
            {
                yield return Mutate(seed, random);
            }
        }
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            yield return bytes;
        }
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToList();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            switch (random.Next(4))
            {
                case 0 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
                case 3 when bytes.Count > 0:
                    bytes = bytes.Take(random.Next(bytes.Count + 1)).ToList(); // truncated
                    break;
            }
        }
        return [.. bytes];
    }
}
