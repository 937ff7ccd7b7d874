using System.Text.Json.Nodes;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class FoundingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Found_FiveCities_EveryNodeAdoptsSeesFiveMembersAndLinks()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(5, output);

        // Act
        await cluster.FoundAsync();

        // Assert
        var meshId = cluster.MeshId;
        foreach (var node in cluster.Nodes)
        {
            Assert.True(node.Mesh.HasMesh, $"{node} has no mesh");
            Assert.Equal(meshId, node.Mesh.MeshId);
            Assert.Equal(5, node.Mesh.Roster.Members.Count);
            Assert.All(cluster.Nodes, other => Assert.True(node.Mesh.Roster.IsMember(other.Id), $"{node} does not list {other}"));
            Assert.True(cluster.Logs.Has("CharterAdopted", node.Index), $"{node} logged no CharterAdopted");
        }
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.Count >= 1), Timeouts.Converge, cluster.DescribeState);

        var members = await cluster[3].CliAsync("members", "--json");
        Assert.True(members.ExitCode == 0, members.ToString());
        var json = JsonNode.Parse(members.Stdout)!;
        Assert.Equal(Convert.ToHexStringLower(meshId), json["meshId"]!.GetValue<string>());
        var listed = json["members"]!.AsArray();
        Assert.Equal(5, listed.Count);
        Assert.Equal(
            cluster.Nodes.Select(n => n.Id.Text).Order(StringComparer.Ordinal),
            listed.Select(m => m!["nodeId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(listed, m => Assert.Equal("member", m!["status"]!.GetValue<string>()));
        Assert.All(listed, m => Assert.True(m!["founder"]!.GetValue<bool>()));
        Assert.Contains(listed, m => m!["name"]!.GetValue<string>() == "Comune di Torino" && m["country"]!.GetValue<string>() == "IT");

        await cluster.WaitForStableAsync();
    }

    [Fact]
    public async Task Adopt_ConnectionPassesAnHourApart_AdoptersDialEachOtherAtOnce()
    {
        // Arrange: the connection manager's periodic pass ran once at start (no mesh yet) and would
        // next run in an hour; only the wake on a roster change can make the adopters dial.
        var options = new MeshClusterOptions
        {
            Mesh = new() { AntiEntropyInterval = TimeSpan.FromMilliseconds(300), ConnectionPassInterval = TimeSpan.FromHours(1) },
        };
        await using var cluster = await MeshCluster.StartAsync(3, output, options);

        // Act: FoundAsync waits (Timeouts.Converge) until every adopter has a link.
        await cluster.FoundAsync();

        // Assert
        await Retry.Until(() => cluster.Nodes.All(n => n.Sync.Links.Count == 2), Timeouts.Converge, cluster.DescribeState);
        var record = await cluster[0].PublishAdvisoryAsync("after an adoption that dialed at once");
        await Retry.Until(() => cluster.Nodes.All(n => n.Node.Store.Get(record.Id) is not null), Timeouts.Converge, cluster.DescribeState);
    }
}
