using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;
using I4C.Node.Hosting;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class ListenerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Listener_PublishingAnAdvisory_IsRefusedLocallyAndItsSignedAdvisoryIsRejectedAsListenerPublished()
    {
        // Arrange: Torino's node is re-created as a listener before founding; a second listener
        // founder is held by the test, so it can sign what its node would refuse to.
        await using var cluster = await MeshCluster.StartAsync(3, output);
        cluster.Expect("PublishRefused", node: 2);
        cluster.Expect("RecordRejected", node: 0);
        cluster.Expect("PeerPenalised", node: 0);
        await cluster.RecreateAsListenerAsync(2);
        using var quiet = HostileMember.Create(cluster.NewDirectory("quiet"), new NodeProfile("Ville de Genève", "CH", MemberCategory.NonEuCity, Participation.Listener));
        await cluster.FoundAsync(founders: [0, 1, 2], extraCards: [quiet.CardRecord], extraSigners: [quiet.Identity]);
        var listener = cluster[2];
        await cluster.WaitForStableAsync();
        Assert.All(cluster.Nodes, n => Assert.True(n.Mesh.Roster.Get(listener.Id)?.IsListener, $"{n} does not see Torino as a listening member"));
        Assert.All(cluster.Nodes, n => Assert.True(n.Mesh.Roster.Get(quiet.Id)?.IsListener));
        Assert.Equal("listener", (await cluster[0].MemberEntryAsync(listener.Id))["participation"]!.GetValue<string>());

        // Act
        var refused = await Assert.ThrowsAsync<PublishRefusedException>(() => listener.PublishAdvisoryAsync("Torino: a listener trying to publish"));
        var viaCli = await listener.CliAsync("publish", "advisory", "--tlp", "green", "--title", "Torino via the CLI", "--body", "A listener trying to publish.");
        var signed = quiet.Advisory("Genève: a listener's key signs an advisory anyway", cluster.MeshId, 2, quiet.CardId);
        var signedId = RecordId.OfHeader(signed.Header.Span);
        await using (var link = await quiet.SendOverRawLinkAsync(cluster[0], cluster.MeshId, quiet.CardRecord, signed))
        {
            await Retry.Until(() => cluster.Rejected(0, signedId, "LISTENER_PUBLISHED"), Timeouts.Call, "Bonn rejects the listener's advisory as LISTENER_PUBLISHED");
            // A listener may publish its card: the card in the same frame is stored.
            await Retry.Until(() => cluster[0].Holds(quiet.CardId), Timeouts.Call, "Bonn stores the listener's card");
        }

        // Assert: refused with a message saying listeners publish none; nothing reached anyone.
        Assert.Contains("listeners receive records but publish none", refused.Message, StringComparison.Ordinal);
        Assert.Equal(I4C.Cli.ExitCodes.Refused, viaCli.ExitCode);
        Assert.Contains("listeners receive records but publish none", viaCli.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(listener.Node.Store.ReadAll(), r => r.Author.Equals(listener.Id) && r.Header.Kind == RecordKind.Advisory);
        Assert.All(cluster.Nodes, n => Assert.False(n.Holds(signedId), $"{n} holds the listener's advisory"));

        // A listener still receives what the others publish.
        var fromBonn = await cluster[0].PublishAdvisoryAsync("Bonn: for every member, listeners included");
        await Retry.Until(() => listener.Holds(fromBonn.Id), Timeouts.Converge, "Bonn's advisory reaches the listener");
    }
}
