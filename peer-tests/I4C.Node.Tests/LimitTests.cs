using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Operations;
using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Resource limits: records per author per minute, database size cap, mesh links.</summary>
[Trait("Category", "Integration")]
public sealed class LimitTests
{
    [Fact]
    public async Task Publish_OverRecordsPerMinute_RefusedWithClearErrorLoggedOnce()
    {
        // Arrange
        await using var node = await TestNode.StartAsync(o => o with { MaxRecordsPerAuthorPerMinute = 3 });
        for (var i = 0; i < 3; i++)
        {
            await node.Admin.PublishAsync(Requests.Advisory($"advisory {i}"), Deadline()).ResponseAsync.WithTimeout();
        }

        // Act
        var fourth = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(Requests.Advisory("one too many"), Deadline()).ResponseAsync.WithTimeout());
        var fifth = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(Requests.Advisory("and another"), Deadline()).ResponseAsync.WithTimeout());
        var cli = await CliRunner.RunAsync("publish", "advisory", "--data", node.DataPath, "--tlp", "green", "--title", "from the CLI", "--body", "b");

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, fourth.StatusCode);
        Assert.Contains("--max-records-per-minute", fourth.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, fifth.StatusCode);
        Assert.Equal(5, cli.ExitCode);
        Assert.Contains("--max-records-per-minute", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, node.Log.Count("LimitHit"));
        Assert.DoesNotContain(node.Log.Entries, e => e.Message.Contains("one too many", StringComparison.Ordinal));
        Assert.Equal(3, (await node.Admin.FeedAsync(new FeedRequest { Limit = 10 }, Deadline()).ResponseAsync.WithTimeout()).Records.Count);
    }

    [Fact]
    public async Task Publish_DatabaseAtItsCap_RefusedButReadsGoOn()
    {
        // Arrange
        await using var node = await TestNode.StartAsync(o => o with { MaxDatabaseBytes = 1 });

        // Act
        var refused = await Assert.ThrowsAsync<RpcException>(() => node.Admin.PublishAsync(Requests.Advisory(), Deadline()).ResponseAsync.WithTimeout());
        var feed = await node.Admin.FeedAsync(new FeedRequest { Limit = 10 }, Deadline()).ResponseAsync.WithTimeout();
        var status = await node.Admin.GetStatusAsync(new StatusRequest(), Deadline()).ResponseAsync.WithTimeout();

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("--max-db-size", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(feed.Records);
        Assert.Equal(0UL, status.TotalRecords);
        Assert.True(node.Log.Has("LimitHit", LogLevel.Warning));
    }

    [Fact]
    public async Task AdmitFromPeer_AuthorOverTheRate_DefersTheRestOfTheChainAndLetsItThroughLater()
    {
        // Arrange: an author writing 8 records within one minute, a limit of 2 per minute.
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var dir = new TempDirectory();
        using var store = RecordStore.Open(dir.Sub("i4c.db"), time);
        var options = TestNode.OptionsFor(dir.Path) with { MaxRecordsPerAuthorPerMinute = 2 };
        var log = new TestLog();
        var limits = new NodeLimits(options, store, time, new LoggerAdapter(log.CreateLogger("limits")));
        var hits = new List<string>();
        limits.Hit += hits.Add;
        using var author = NodeIdentity.Create();
        var records = Chain(author, 8, time);
        var peer = NodeIdentity.Create();

        // Act
        // (each admitted batch is stored, as the sync engine does: the limiter counts only records the store would keep)
        var first = Stored(limits.AdmitFromPeer(records, peer.Id));
        var duplicates = limits.AdmitFromPeer(records.Take(4).ToList(), peer.Id);
        var again = Stored(limits.AdmitFromPeer(records.Skip(first.Count).ToList(), peer.Id));
        time.Advance(TimeSpan.FromMinutes(1));
        var later = Stored(limits.AdmitFromPeer(records.Skip(first.Count).ToList(), peer.Id));
        time.Advance(NodeLimits.HistoryAge);
        var history = limits.AdmitFromPeer(records.Skip(first.Count + later.Count).ToList(), peer.Id);

        IReadOnlyList<ValidatedRecord> Stored(IReadOnlyList<ValidatedRecord> admitted)
        {
            foreach (var r in admitted)
            {
                Assert.Equal(StoreStatus.Stored, store.Insert(r).Status);
            }
            return admitted;
        }

        // Assert: 2 within the rate plus a release budget of 2; the rest of the chain waits, in order.
        Assert.Equal(records.Take(4).Select(r => r.Id), first.Select(r => r.Id));
        // Records offered again (by a second peer) pass to the store as duplicates without using up the budget.
        Assert.Equal(4, duplicates.Count);
        Assert.Empty(again);
        Assert.Equal(records.Skip(4).Take(2).Select(r => r.Id), later.Select(r => r.Id));
        // Once older than HistoryAge the records are history (a catch-up): the rate no longer applies.
        Assert.Equal(records.Skip(6).Select(r => r.Id), history.Select(r => r.Id));
        Assert.Contains(NodeLimits.RateLimit, hits);
        // One line for the first minute's hits (the second call's hit is folded in), one after it.
        Assert.Equal(2, log.Count("LimitHit"));
        peer.Dispose();
    }

    [Fact]
    public void AdmitFromPeer_ChainsInterleaved_DefersOnlyTheChainOverTheRate()
    {
        // Arrange: X writes 8 records within a minute, Y 2; a limit of 2 per minute (plus a release budget of 2).
        // The batch interleaves Y's records after X's chain is held: each record is judged by its own chain.
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var dir = new TempDirectory();
        using var store = RecordStore.Open(dir.Sub("i4c.db"), time);
        var limits = new NodeLimits(TestNode.OptionsFor(dir.Path) with { MaxRecordsPerAuthorPerMinute = 2 }, store, time, new LoggerAdapter(new TestLog().CreateLogger("limits")));
        using var x = NodeIdentity.Create();
        using var y = NodeIdentity.Create();
        using var peer = NodeIdentity.Create();
        var xs = Chain(x, 8, time);
        var ys = Chain(y, 2, time);
        List<ValidatedRecord> batch = [.. xs.Take(5), ys[0], xs[5], ys[1], .. xs.Skip(6)];

        // Act
        var admitted = limits.AdmitFromPeer(batch, peer.Id);

        // Assert
        Assert.Equal(xs.Take(4).Append(ys[0]).Append(ys[1]).Select(r => r.Id), admitted.Select(r => r.Id));
    }

    /// <summary>Advisories 1..count of one author's chain, validated, created a second apart.</summary>
    private static List<ValidatedRecord> Chain(NodeIdentity author, int count, FakeTimeProvider time)
    {
        var validator = new RecordValidator(RecordLimits.Default, time);
        var records = new List<ValidatedRecord>();
        var head = default(RecordId);
        for (ulong seq = 1; seq <= (ulong)count; seq++)
        {
            var draft = new RecordDraft { Kind = RecordKind.Advisory, Tlp = Tlp.Green, Payload = new Advisory { Title = $"a{seq}", Body = "b" }.ToByteArray() };
            var record = validator.Validate(RecordWriter.Sign(author, draft, seq, head, time.GetUtcNow())).Record!;
            head = record.Id;
            records.Add(record);
            time.Advance(TimeSpan.FromSeconds(1));
        }
        return records;
    }

    [Fact]
    public void AdmitInboundLink_AtMaxPeers_RefusedUnlessAlreadyLinked()
    {
        // Arrange
        using var dir = new TempDirectory();
        using var store = RecordStore.Open(dir.Sub("i4c.db"), TimeProvider.System);
        var limits = new NodeLimits(TestNode.OptionsFor(dir.Path) with { MaxPeers = 2 }, store, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<NodeLimits>.Instance);
        using var peer = NodeIdentity.Create();
        var hits = new List<string>();
        limits.Hit += hits.Add;

        // Act / Assert
        Assert.True(limits.AdmitInboundLink(1, alreadyLinked: false, peer.Id));
        Assert.False(limits.AdmitInboundLink(2, alreadyLinked: false, peer.Id));
        Assert.True(limits.AdmitInboundLink(2, alreadyLinked: true, peer.Id));
        Assert.Equal(0, limits.OutboundRoom(2, 0));
        Assert.Equal([NodeLimits.PeersLimit], hits);
    }

    private sealed class LoggerAdapter(ILogger inner) : ILogger<NodeLimits>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, formatter);
    }
}
