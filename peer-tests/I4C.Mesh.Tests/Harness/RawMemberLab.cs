using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Node.Mesh;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// Two cities with anti-entropy once an hour (so after the start only what a test sends, and what the
/// nodes forward, moves), and a founder whose keys the test holds, raw-linked to node 0: its Hello is
/// sent and node 0 has registered the link.
/// </summary>
public sealed class RawMemberLab : IAsyncDisposable
{
    private RawMemberLab(MeshCluster cluster, HostileMember member, RawLink link) => (Cluster, Member, Link) = (cluster, member, link);

    public MeshCluster Cluster { get; }

    public HostileMember Member { get; }

    public RawLink Link { get; }

    /// <param name="output">The test's output.</param>
    /// <param name="city">The raw member's display name.</param>
    /// <param name="maxBatchRecords">What the raw member's Hello states as its records-per-frame limit (0: nothing, as a node that predates the field).</param>
    /// <param name="beforeLink">Runs once the mesh is founded and stable, before the raw member links (to give node 0 history, say).</param>
    public static async Task<RawMemberLab> StartAsync(ITestOutputHelper output, string city, uint maxBatchRecords = 0, Action<MeshCluster>? beforeLink = null)
    {
        var options = new MeshClusterOptions { Mesh = new MeshOptions { AntiEntropyInterval = TimeSpan.FromHours(1) } };
        var cluster = await MeshCluster.StartAsync(2, output, options);
        HostileMember? member = null;
        RawLink? link = null;
        try
        {
            member = HostileMember.Create(cluster.NewDirectory("member"), new NodeProfile(city, "HR", MemberCategory.EuCity, Participation.Active));
            await cluster.FoundAsync(extraCards: [member.CardRecord], extraSigners: [member.Identity]);
            await cluster.WaitForStableAsync();
            beforeLink?.Invoke(cluster);
            link = await RawLink.OpenAsync(member, cluster[0].MeshEndpoint);
            await link.SendAsync(new LinkFrame { Hello = new Hello { Version = 1, MeshId = ByteString.CopyFrom(cluster.MeshId), MaxBatchRecords = maxBatchRecords } });
            await Retry.Until(() => cluster[0].Sync.IsLinked(member.Id), Timeouts.Call, "node 0 registers the member's link");
            return new RawMemberLab(cluster, member, link);
        }
        catch
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
            member?.Dispose();
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Link.DisposeAsync();
        Member.Dispose();
        await Cluster.DisposeAsync();
    }
}
