using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class NonMemberTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NonMember_Connecting_GetsOnlyTheCharterAndLinkIsPermissionDenied()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(2, output);
        await cluster.FoundAsync();
        using var stranger = HostileMember.Create(cluster.NewDirectory("stranger"), new NodeProfile("Ciudad de Ninguna Parte", "ES", MemberCategory.EuCity, Participation.Active));
        using var dialed = stranger.Dial(cluster[0].MeshEndpoint);
        var client = new Protocol.V1.Mesh.MeshClient(dialed.Channel);

        // Act
        var charter = await client.GetCharterAsync(new GetCharterRequest(), deadline: DateTime.UtcNow + Timeouts.Call).ResponseAsync.Within(Timeouts.Call, "GetCharter");
        var refused = await Assert.ThrowsAsync<RpcException>(() => RawLink.OpenAsync(stranger, cluster[0].MeshEndpoint));

        // Assert
        Assert.NotNull(charter.Charter);
        Assert.Equal(Convert.ToHexStringLower(cluster.MeshId), charter.MeshId);
        Assert.Equal(cluster.MeshId, CharterRules.MeshIdOf(charter.Charter.Charter.Span));
        Assert.Equal(cluster.Charter, charter.Charter);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.False(cluster[0].Sync.IsLinked(stranger.Id));
        await Retry.Until(() => cluster.Logs.Has("NonMemberRefused", 0), Timeouts.Call, "node 0 logs NonMemberRefused");
        Assert.DoesNotContain(cluster.Nodes, n => n.Mesh.Roster.IsMember(stranger.Id));
    }
}
