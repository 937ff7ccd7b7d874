using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>The Admin gRPC API against a real in-process host on 127.0.0.1:0.</summary>
[Trait("Category", "Integration")]
public sealed class AdminApiTests
{
    [Fact]
    public async Task GetStatus_FreshNode_ReturnsIdentityAndProfile()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var status = await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(node.Host.Node.Identity.Id.Text, status.NodeId);
        Assert.Equal(node.Host.Node.Identity.Id.Fingerprint, status.Fingerprint);
        Assert.Equal(TestNode.DefaultProfile.Name, status.Name);
        Assert.Equal("DE", status.Country);
        Assert.Equal("eu-city", status.Category);
        Assert.Equal("active", status.Participation);
        Assert.Equal(node.Host.Runtime.MeshEndpoint, status.MeshEndpoint);
        Assert.Equal(0UL, status.TotalRecords);
        Assert.True(node.Log.Has("NodeStarted"));
        Assert.True(node.Log.Has("IdentityCreated"));
    }

    [Fact]
    public async Task Publish_AdvisoryIncidentPractice_FeedListsNewestFirstAndShowDecodes()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var advisoryRequest = Requests.Advisory("Phishing wave", "Spoofed payroll mails.", Tlp.Green,
            Requests.Indicator("ip-dst", "203.0.113.7"), Requests.Indicator("domain", "payroll-login.example"));

        // Act
        var advisory = await node.Admin.PublishAsync(advisoryRequest, Deadline()).ResponseAsync.WithTimeout();
        var incident = await node.Admin.PublishAsync(Requests.Incident("Parking ransomware"), Deadline()).ResponseAsync.WithTimeout();
        var practice = await node.Admin.PublishAsync(Requests.Practice("Offline backups"), Deadline()).ResponseAsync.WithTimeout();
        var feed = await node.Admin.FeedAsync(new FeedRequest(), Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal([practice.Id, incident.Id, advisory.Id], feed.Records.Select(r => r.Id));
        Assert.Equal([RecordKind.Practice, RecordKind.Incident, RecordKind.Advisory], feed.Records.Select(r => r.Kind));
        Assert.All(feed.Records, r => Assert.Equal(node.Host.Node.Identity.Id.Text, r.Author));
        Assert.Equal([1UL, 2UL, 3UL], new[] { advisory.Seq, incident.Seq, practice.Seq });

        var shownAdvisory = await node.Admin.ShowAsync(new ShowRequest { Id = advisory.Id }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal(ShowReply.ContentOneofCase.Advisory, shownAdvisory.ContentCase);
        Assert.Equal("Phishing wave", shownAdvisory.Advisory.Title);
        Assert.Equal("Spoofed payroll mails.", shownAdvisory.Advisory.Body);
        Assert.Equal([("ip-dst", "203.0.113.7"), ("domain", "payroll-login.example")], shownAdvisory.Advisory.Indicators.Select(i => (i.Type, i.Value)));
        Assert.Equal(Tlp.Green, shownAdvisory.Summary.Tlp);
        Assert.False(shownAdvisory.Summary.Purged);

        var shownIncident = await node.Admin.ShowAsync(new ShowRequest { Id = incident.Id }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal("Parking ransomware", shownIncident.Incident.Title);
        Assert.Equal(IncidentStage.EarlyWarning, shownIncident.Incident.Stage);
        Assert.Equal(advisory.Id, shownIncident.Prev);

        var shownPractice = await node.Admin.ShowAsync(new ShowRequest { Id = practice.Id }, Deadline()).ResponseAsync.WithTimeout();
        Assert.Equal("Offline backups", shownPractice.Practice.Title);
        Assert.Equal(3, node.Log.Count("RecordPublished"));
    }

    [Fact]
    public async Task Feed_KindTlpAndLimit_ReturnsOnlyMatchingNewestFirst()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var greenAdvisory = await Publish(node, Requests.Advisory("green advisory", tlp: Tlp.Green));
        var amberAdvisory = await Publish(node, Requests.Advisory("amber advisory", tlp: Tlp.Amber));
        var greenIncident = await Publish(node, Requests.Incident("green incident", tlp: Tlp.Green));
        var clearPractice = await Publish(node, Requests.Practice("clear practice", tlp: Tlp.Clear));

        // Act
        var advisories = await Feed(node, new FeedRequest { Kind = RecordKind.Advisory });
        var greens = await Feed(node, new FeedRequest { Tlp = Tlp.Green });
        var amberAdvisories = await Feed(node, new FeedRequest { Kind = RecordKind.Advisory, Tlp = Tlp.Amber });
        var newestTwo = await Feed(node, new FeedRequest { Limit = 2 });
        var none = await Feed(node, new FeedRequest { Kind = RecordKind.Incident, Tlp = Tlp.Red });

        // Assert
        Assert.Equal([amberAdvisory, greenAdvisory], advisories);
        Assert.Equal([greenIncident, greenAdvisory], greens);
        Assert.Equal([amberAdvisory], amberAdvisories);
        Assert.Equal([clearPractice, greenIncident], newestTwo);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Show_UniqueEightHexPrefix_ReturnsTheRecord()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var id = await Publish(node, Requests.Advisory("prefix lookup"));

        // Act
        var byPrefix = await node.Admin.ShowAsync(new ShowRequest { Id = id[..8] }, Deadline()).ResponseAsync.WithTimeout();
        var byUpperCasePrefix = await node.Admin.ShowAsync(new ShowRequest { Id = id[..12].ToUpperInvariant() }, Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(id, byPrefix.Summary.Id);
        Assert.Equal("prefix lookup", byPrefix.Advisory.Title);
        Assert.Equal(id, byUpperCasePrefix.Summary.Id);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00000000")]
    public async Task Show_UnknownId_NotFound(string id)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        await Publish(node, Requests.Advisory());
        var published = (await Feed(node, new FeedRequest())).Single();
        var unknown = published.StartsWith(id, StringComparison.Ordinal) ? "ffffffff" : id;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.ShowAsync(new ShowRequest { Id = unknown }, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(unknown, error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// A malformed id (fewer than 8 hex digits, or not hex at all) is an invalid argument, not a
    /// missing record: the caller must change the request, not look elsewhere.
    /// </summary>
    [Theory]
    [InlineData("abc")]
    [InlineData("1234567")]
    [InlineData("zzzzzzzz")]
    [InlineData("")]
    public async Task Show_ShortOrNonHexId_InvalidArgument(string id)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("8", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_PrefixSharedByTwoRecords_InvalidArgument()
    {
        // Arrange: two foreign authors' first records whose ids share their first 8 hex digits,
        // found by varying the creation time (a birthday search over ~2^16 headers per author).
        await using var node = await TestNode.StartAsync();
        var (first, second) = CollidingRecords(node.Host.Node.Validator);
        Assert.Equal(StoreStatus.Stored, node.Host.Node.Store.Insert(first).Status);
        Assert.Equal(StoreStatus.Stored, node.Host.Node.Store.Insert(second).Status);
        var prefix = first.Id.ToString()[..8];
        Assert.StartsWith(prefix, second.Id.ToString(), StringComparison.Ordinal);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.ShowAsync(new ShowRequest { Id = prefix }, Deadline()).ResponseAsync.WithTimeout());
        var full = await node.Admin.ShowAsync(new ShowRequest { Id = second.Id.ToString() }, Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("more than one", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(second.Id.ToString(), full.Summary.Id);
    }

    [Fact]
    public async Task Retract_OwnRecord_PurgesPayloadAndKeepsHeader()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var id = await Publish(node, Requests.Advisory("to be retracted"));

        // Act
        var reply = await node.Admin.RetractAsync(new RetractRequest { Id = id[..10], Reason = "sent to the wrong list" }, Deadline()).ResponseAsync.WithTimeout();
        var target = await node.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout();
        var retraction = await node.Admin.ShowAsync(new ShowRequest { Id = reply.RetractionId }, Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(id, reply.TargetId);
        Assert.True(target.Summary.Purged);
        Assert.StartsWith("retracted", target.PurgeReason, StringComparison.Ordinal);
        Assert.NotEqual(0, target.PurgedUnixMs);
        Assert.Equal(ShowReply.ContentOneofCase.None, target.ContentCase);
        Assert.Equal(string.Empty, target.Summary.Title);
        Assert.False(target.Raw.HasPayload);
        Assert.Equal(RecordKind.Retraction, retraction.Summary.Kind);
        Assert.Equal(id, Convert.ToHexStringLower(retraction.Retraction.Target.Span));
        Assert.Equal("sent to the wrong list", retraction.Retraction.Reason);
        Assert.True(node.Log.Has("RecordRetracted"));
    }

    [Fact]
    public async Task Retract_AlreadyRetracted_FailedPrecondition()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var id = await Publish(node, Requests.Advisory());
        await node.Admin.RetractAsync(new RetractRequest { Id = id, Reason = "first" }, Deadline()).ResponseAsync.WithTimeout();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.RetractAsync(new RetractRequest { Id = id, Reason = "again" }, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("already retracted", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(node.Log.Has("PublishRefused"));
    }

    [Fact]
    public async Task Retract_UnknownId_NotFound()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.RetractAsync(new RetractRequest { Id = new string('a', 64), Reason = "none" }, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Retract_WithoutReason_FailedPreconditionNamingTheReason()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var id = await Publish(node, Requests.Advisory());

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.RetractAsync(new RetractRequest { Id = id, Reason = " " }, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("reason", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AfterPublishAndRetract_NoFailuresAndChecksEveryRecord()
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var first = await Publish(node, Requests.Advisory("one"));
        await Publish(node, Requests.Incident("two"));
        await Publish(node, Requests.Practice("three"));
        await node.Admin.RetractAsync(new RetractRequest { Id = first, Reason = "wrong" }, Deadline()).ResponseAsync.WithTimeout();
        var total = (await Feed(node, new FeedRequest { Limit = 1000 })).Count;

        // Act
        var report = await node.Admin.VerifyAsync(new VerifyRequest(), Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(4, total);
        Assert.Empty(report.Failures);
        Assert.Equal((ulong)total, report.Checked);
        Assert.Equal(3UL, report.PayloadsChecked);
        Assert.False(node.Log.Has("VerifyFailed"));
    }

    public static TheoryData<string, StatusCode, string> InvalidPublishes => new()
    {
        { "tlp-unspecified", StatusCode.InvalidArgument, "TLP" },
        { "no-content", StatusCode.InvalidArgument, "advisory, incident or practice" },
        { "empty-title", StatusCode.InvalidArgument, "title" },
        { "long-title", StatusCode.InvalidArgument, "title" },
        { "unknown-indicator-type", StatusCode.InvalidArgument, "ipv4" },
        { "bad-indicator-value", StatusCode.InvalidArgument, "999.1.1.1" },
        { "red-without-recipients", StatusCode.FailedPrecondition, "recipients" },
        { "expiry-in-the-past", StatusCode.InvalidArgument, "past" },
        { "recipient-not-a-node-id", StatusCode.InvalidArgument, "not-a-node" },
    };

    [Theory]
    [MemberData(nameof(InvalidPublishes))]
    public async Task Publish_InvalidRequest_RefusedWithPreciseStatusAndNothingStored(string scenario, StatusCode expected, string mentioned)
    {
        // Arrange
        await using var node = await TestNode.StartAsync();
        var request = scenario switch
        {
            "tlp-unspecified" => Requests.Advisory(tlp: Tlp.Unspecified),
            "no-content" => new PublishRequest { Tlp = Tlp.Green },
            "empty-title" => Requests.Advisory(title: "  "),
            "long-title" => Requests.Advisory(title: new string('x', 301)),
            "unknown-indicator-type" => Requests.Advisory(indicators: Requests.Indicator("ipv4", "203.0.113.7")),
            "bad-indicator-value" => Requests.Advisory(indicators: Requests.Indicator("ip-dst", "999.1.1.1")),
            "red-without-recipients" => Requests.Advisory(tlp: Tlp.Red),
            "expiry-in-the-past" => With(Requests.Advisory(), r => r.ExpiresUnixMs = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds()),
            "recipient-not-a-node-id" => With(Requests.Advisory(tlp: Tlp.Amber), r => r.To.Add("not-a-node")),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null),
        };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(request, Deadline()).ResponseAsync.WithTimeout());

        // Assert
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(mentioned, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await Feed(node, new FeedRequest()));
        Assert.False(node.Log.Has("RecordPublished"));
    }

    private static PublishRequest With(PublishRequest request, Action<PublishRequest> change)
    {
        change(request);
        return request;
    }

    private static async Task<string> Publish(TestNode node, PublishRequest request) =>
        (await node.Admin.PublishAsync(request, Deadline()).ResponseAsync.WithTimeout()).Id;

    private static async Task<List<string>> Feed(TestNode node, FeedRequest request) =>
        (await node.Admin.FeedAsync(request, Deadline()).ResponseAsync.WithTimeout()).Records.Select(r => r.Id).ToList();

    /// <summary>
    /// Two valid, signed seq-1 records by two new authors whose ids agree in their first 4 bytes.
    /// Only the header is hashed while searching; the two winners are then signed for real.
    /// </summary>
    private static (ValidatedRecord First, ValidatedRecord Second) CollidingRecords(RecordValidator validator)
    {
        using var authorA = NodeIdentity.Create();
        using var authorB = NodeIdentity.Create();
        var draft = new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = Tlp.Green,
            Payload = new Advisory { Title = "colliding prefix", Body = "test" }.ToByteArray(),
        };
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        var templateA = RecordHeader.Parser.ParseFrom(RecordWriter.Sign(authorA, draft, 1, default, start).Header);
        var templateB = RecordHeader.Parser.ParseFrom(RecordWriter.Sign(authorB, draft, 1, default, start).Header);
        var seenA = new Dictionary<uint, long>();
        var seenB = new Dictionary<uint, long>();
        var startMs = start.ToUnixTimeMilliseconds();
        for (long i = 0; i < 2_000_000; i++)
        {
            var created = startMs - i;
            templateA.CreatedUnixMs = created;
            templateB.CreatedUnixMs = created;
            var prefixA = Prefix(templateA);
            var prefixB = Prefix(templateB);
            seenA.TryAdd(prefixA, created);
            seenB.TryAdd(prefixB, created);
            if (seenB.TryGetValue(prefixA, out var createdB))
            {
                return (Sign(authorA, created), Sign(authorB, createdB));
            }
            if (seenA.TryGetValue(prefixB, out var createdA))
            {
                return (Sign(authorA, createdA), Sign(authorB, created));
            }
        }
        throw new InvalidOperationException("no 32-bit id prefix collision in 2 million headers per author");

        static uint Prefix(RecordHeader header) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(header.ToByteArray()));

        ValidatedRecord Sign(NodeIdentity author, long createdMs)
        {
            var result = validator.Validate(RecordWriter.Sign(author, draft, 1, default, DateTimeOffset.FromUnixTimeMilliseconds(createdMs)));
            return result.Record ?? throw new InvalidOperationException($"the colliding record does not validate: {result.Rejection}");
        }
    }
}
