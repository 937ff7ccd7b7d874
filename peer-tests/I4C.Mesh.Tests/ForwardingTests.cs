using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Mesh;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>What a node forwards when pushed records arrive out of chain order.</summary>
[Trait("Category", "Peer")]
public sealed class ForwardingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PushedRecordAheadOfItsPredecessor_GapFilledByRangeReply_ForwardedWithThePredecessor()
    {
        // Arrange: two cities and a founder whose keys the test holds; anti-entropy rounds only
        // when a link comes up, so what reaches node 1 afterwards was forwarded by node 0.
        await using var lab = await LinkedMember.StartAsync(output);
        var (cluster, member, link, meshId) = (lab.Cluster, lab.Member, lab.Link, lab.Cluster.MeshId);
        var second = member.Advisory("Phishing wave against city payroll", meshId, 2, member.CardId);
        var secondId = RecordId.OfHeader(second.Header.Span);
        var third = member.Advisory("Phishing wave: second sender domain", meshId, 3, secondId);
        var thirdId = RecordId.OfHeader(third.Header.Span);

        // Act: the third record is pushed first (a chain gap at node 0), then both come as a range reply.
        // Node 0 handles the frames of one link in order, so the push meets the gap before the reply fills it.
        await link.SendRecordsAsync(third);
        await link.SendAsync(new LinkFrame { Records = new Records { Eager = false, Records_ = { second, third } } });

        // Assert: node 0 stored both and forwarded them, so node 1 has them without a periodic round.
        await Retry.Until(() => cluster[0].Holds(secondId) && cluster[0].Holds(thirdId), Timeouts.Call, "node 0 stores both records of the range reply");
        await Retry.Until(() => cluster[1].Holds(secondId) && cluster[1].Holds(thirdId), Timeouts.Converge, "node 1 gets both records forwarded by node 0");
    }

    [Fact]
    public async Task RangeReplyWithoutEarlierGap_NotForwarded()
    {
        // Arrange
        await using var lab = await LinkedMember.StartAsync(output);
        var (cluster, member, link, meshId) = (lab.Cluster, lab.Member, lab.Link, lab.Cluster.MeshId);
        var second = member.Advisory("Old advisory served by anti-entropy", meshId, 2, member.CardId);
        var secondId = RecordId.OfHeader(second.Header.Span);

        // Act: a range reply nobody pushed before.
        await link.SendAsync(new LinkFrame { Records = new Records { Eager = false, Records_ = { second } } });
        await Retry.Until(() => cluster[0].Holds(secondId), Timeouts.Call, "node 0 stores the range reply");
        await Task.Delay(TimeSpan.FromSeconds(1)); // time for a forward that must not happen

        // Assert: range replies are not forwarded (only anti-entropy, here once an hour, brings it to node 1).
        Assert.False(cluster[1].Holds(secondId));
    }

    /// <summary>A <see cref="RawMemberLab"/> whose member card both cities hold (sent over the raw link, relayed by node 0).</summary>
    private static class LinkedMember
    {
        public static async Task<RawMemberLab> StartAsync(ITestOutputHelper output)
        {
            var lab = await RawMemberLab.StartAsync(output, "Grad Zagreb");
            try
            {
                var (cluster, member) = (lab.Cluster, lab.Member);
                await lab.Link.SendRecordsAsync(member.CardRecord);
                await Retry.Until(() => cluster[0].Holds(member.CardId) && cluster[1].Holds(member.CardId), Timeouts.Converge, "both cities hold the member's card");
                return lab;
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }
    }
}
