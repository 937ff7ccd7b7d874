using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class RotationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Member_RotatingItsKeyWithTheCli_ComesBackUnderTheNewKeyAndKeepsItsOldRecords()
    {
        // Arrange: three founders; Torino has published before it rotates.
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync(3);
        var rotating = cluster[2];
        var others = cluster.Nodes.Take(2).ToList();
        var before = await rotating.PublishAdvisoryAsync("Torino: published under the old key");
        await cluster.WaitForStableAsync();
        var oldId = rotating.Id;

        // Act: `i4c rotate-key` publishes the rotation and stops the node; it is started again on its data directory.
        var rotated = await rotating.CliJsonAsync("rotate-key");
        Assert.Equal(oldId.Text, rotated["oldNodeId"]!.GetValue<string>());
        Assert.True(NodeId.TryParse(rotated["newNodeId"]!.GetValue<string>(), out var newId));
        Assert.NotEqual(oldId, newId);
        Assert.True(RecordId.TryParse(rotated["id"]!.GetValue<string>(), out var rotationId));
        await cluster.RestartAfterSelfStopAsync(rotating.Index);

        // Assert: it runs under the new key; everyone moved the membership to it.
        Assert.Equal(newId, rotating.Id);
        Assert.Equal(newId, rotating.Node.Identity.Id);
        await MembershipSteps.UntilStandingAsync(cluster.Nodes, newId!, StandingKind.Member, "Torino's new key");
        await MembershipSteps.UntilStandingAsync(cluster.Nodes, oldId, StandingKind.Replaced, "Torino's old key");
        Assert.All(cluster.Nodes, n => Assert.True(n.Holds(rotationId)));
        Assert.All(others, n => Assert.StartsWith($"rotated from {oldId.Text[..12]}", n.StandingOn(newId!)!.Reason, StringComparison.Ordinal));
        await cluster.WaitForStableAsync();
        Assert.All(others, n => Assert.True(n.Sync.IsLinked(newId!), $"{n} has no link with Torino's new key"));
        Assert.All(others, n => Assert.False(n.Sync.IsLinked(oldId), $"{n} still has a link with Torino's old key"));

        // What it publishes now reaches the others under the new key; what the old key published stays.
        var after = await rotating.PublishAdvisoryAsync("Torino: published under the new key");
        await Retry.Until(() => others.All(n => n.Holds(after.Id)), Timeouts.Converge, "Torino's new advisory reaches Bonn and Lyon");
        Assert.Equal(newId, after.Author);
        foreach (var node in cluster.Nodes)
        {
            Assert.True(node.Holds(before.Id), $"{node} lost the old key's advisory");
            Assert.True(node.Mesh.Roster.MayAuthor(oldId, before.Header.Channel.Span, before.Seq));
            Assert.Empty(node.Node.Verify().Failures);
        }
        var oldEntry = await cluster[0].MemberEntryAsync(oldId);
        var newEntry = await cluster[0].MemberEntryAsync(newId!);
        Assert.Equal("replaced", oldEntry["status"]!.GetValue<string>());
        Assert.Equal("member", newEntry["status"]!.GetValue<string>());
        Assert.Equal(rotating.Name, newEntry["name"]!.GetValue<string>());
        Assert.All(others, n => Assert.Equal(0, n.Scores.ScoreOf(newId!)));
    }
}
