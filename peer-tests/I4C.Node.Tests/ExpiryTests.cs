using I4C.Node.Tests.Infrastructure;
using I4C.Protocol.V1;
using Microsoft.Extensions.Time.Testing;
using static I4C.Node.Tests.Infrastructure.AdminChannels;

namespace I4C.Node.Tests;

/// <summary>Expired payloads are purged by the node's sweep; the signed header stays and still verifies.</summary>
[Trait("Category", "Integration")]
public sealed class ExpiryTests
{
    [Fact]
    public async Task Publish_ExpiryShortlyAhead_PayloadPurgedBySweep()
    {
        // Arrange: a first publish warms the path up, so the 1.5 s are not spent in the JIT.
        await using var node = await TestNode.StartAsync(o => o with { ExpirySweepInterval = TimeSpan.FromMilliseconds(200) });
        await node.Admin.PublishAsync(Requests.Advisory("lasts"), Deadline()).ResponseAsync.WithTimeout();
        var request = Requests.Advisory("short-lived");
        request.ExpiresUnixMs = DateTimeOffset.UtcNow.AddMilliseconds(1500).ToUnixTimeMilliseconds();
        var id = (await node.Admin.PublishAsync(request, Deadline()).ResponseAsync.WithTimeout()).Id;
        var before = await Show(node, id);

        // Act
        await Retry.UntilAsync(async () => (await Show(node, id)).Summary.Purged, TimeSpan.FromSeconds(15), "the sweep to purge the expired payload");
        var after = await Show(node, id);

        // Assert
        Assert.False(before.Summary.Purged);
        Assert.Equal("short-lived", before.Advisory.Title);
        Assert.Equal("expired", after.PurgeReason);
        Assert.Equal(ShowReply.ContentOneofCase.None, after.ContentCase);
        Assert.True(after.PurgedUnixMs >= request.ExpiresUnixMs);
        // The sweep logs after its transaction commits, so the event may trail the purge a little.
        await Retry.UntilAsync(() => Task.FromResult(node.Log.Has("PayloadsExpired")), TimeSpan.FromSeconds(5), "the PayloadsExpired event");
        var verify = await node.Admin.VerifyAsync(new VerifyRequest(), Deadline()).ResponseAsync.WithTimeout();
        Assert.Empty(verify.Failures);
        Assert.Equal(2UL, verify.Checked);
        Assert.Equal(1UL, verify.PayloadsChecked);
    }

    [Fact]
    public async Task Publish_ExpiryOnInjectedClock_PurgedOnlyOnceTheClockPassesIt()
    {
        // Arrange: the node's clock is a FakeTimeProvider; the sweep runs when the clock is advanced.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = await TestNode.StartAsync(o => o with { ExpirySweepInterval = TimeSpan.FromSeconds(1) }, time: clock);
        var request = Requests.Advisory("expires in an hour");
        request.ExpiresUnixMs = clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();
        var id = (await node.Admin.PublishAsync(request, Deadline()).ResponseAsync.WithTimeout()).Id;

        // Act
        clock.Advance(TimeSpan.FromMinutes(59));
        var beforeExpiry = await Show(node, id);
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await Retry.UntilAsync(async () => (await Show(node, id)).Summary.Purged, TimeSpan.FromSeconds(10), "the sweep on the advanced clock");

        // Assert
        Assert.False(beforeExpiry.Summary.Purged);
        var after = await Show(node, id);
        Assert.Equal("expired", after.PurgeReason);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), after.PurgedUnixMs);
    }

    private static Task<ShowReply> Show(TestNode node, string id) =>
        node.Admin.ShowAsync(new ShowRequest { Id = id }, Deadline()).ResponseAsync.WithTimeout();
}
