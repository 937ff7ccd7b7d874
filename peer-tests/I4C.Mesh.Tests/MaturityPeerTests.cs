using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Maturity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// The benchmark's disclosure rules on real nodes (docs/maturity.md): k other contributors show a cell and k−1 do not;
/// the viewer never counts itself; two cohort filters that would isolate a city by subtraction are refused; an
/// AMBER+STRICT assessment for a named audience is used only by the nodes in that audience. The charters set k = 3,
/// the smallest k the charter allows, so the meshes stay small.
/// </summary>
[Trait("Category", "Peer")]
public sealed class MaturityPeerTests(ITestOutputHelper output)
{
    private const uint K = 3;

    private static Assessment Uniform(int current, int target, string country = "DE") =>
        new(MaturityFramework.Nis2V1,
            new CityProfile(Nis2Status.Important, country, MemberCategory.EuCity, PopulationBand.From200KTo1M, ItStaffBand.From10To50),
            MaturityFramework.Current.Practices.Select(p => PracticeAnswer.Rated(p.Id, current, target)).ToArray());

    private static async Task<RecordId> PublishAsync(ClusterNode node, Assessment assessment, Tlp tlp = Tlp.Amber, params ClusterNode[] to)
    {
        var (channel, client) = node.AdminClient();
        using (channel)
        {
            var request = new PublishAssessmentRequest { Assessment = ByteString.CopyFrom(AssessmentPayload.Encode(assessment)), Tlp = tlp };
            request.To.AddRange(to.Select(n => n.Id.Text));
            var reply = await client.PublishAssessmentAsync(request, deadline: DateTime.UtcNow + Timeouts.Call).ResponseAsync
                .Within(Timeouts.Call, $"Admin.PublishAssessment on {node}");
            return RecordId.TryParse(reply.Id, out var id) ? id : throw new InvalidOperationException($"PublishAssessment returned '{reply.Id}'.");
        }
    }

    private static async Task<BenchmarkReply> BenchmarkAsync(ClusterNode node, string cohort = "")
    {
        var (channel, client) = node.AdminClient();
        using (channel)
        {
            return await client.BenchmarkAsync(new BenchmarkRequest { Cohort = cohort }, deadline: DateTime.UtcNow + Timeouts.Call).ResponseAsync
                .Within(Timeouts.Call, $"Admin.Benchmark on {node}");
        }
    }

    private static Task WaitHoldsAsync(ClusterNode node, params RecordId[] ids) =>
        Retry.Until(() => ids.All(node.Holds), Timeouts.Converge, () => $"{node} holds {ids.Count(node.Holds)} of {ids.Length} assessments");

    private async Task<MeshCluster> FoundAsync(int nodes)
    {
        var cluster = await MeshCluster.StartAsync(nodes, output);
        await cluster.FoundAsync(founders: Enumerable.Range(0, nodes).ToList(), benchmarkMinContributors: K);
        return cluster;
    }

    [Fact]
    public async Task Benchmark_KMinusOneOtherContributors_SuppressedThenKShown()
    {
        // Arrange: the viewer and two peers.
        await using var cluster = await FoundAsync(4);
        var viewer = cluster[0];
        var mine = await PublishAsync(viewer, Uniform(2, 3));
        var first = await PublishAsync(cluster[1], Uniform(1, 2));
        var second = await PublishAsync(cluster[2], Uniform(3, 4));
        await WaitHoldsAsync(viewer, mine, first, second);

        // Act 1: k − 1 = 2 other cities
        var suppressed = await BenchmarkAsync(viewer);

        // Assert 1
        Assert.Equal((int)K, suppressed.MinContributors);
        Assert.Equal(2, suppressed.PeerCities);
        Assert.All(suppressed.Domains, d =>
        {
            Assert.Equal("fewer-than-k", d.Suppressed);
            Assert.Null(d.PeersCurrent);
            Assert.Equal(0, d.Contributors);
        });

        // Act 2: a third city publishes: k other cities
        var third = await PublishAsync(cluster[3], Uniform(2, 2));
        await WaitHoldsAsync(viewer, third);
        var shown = await BenchmarkAsync(viewer);

        // Assert 2: quartiles of the peers 1, 2, 3 only; one of three (the third city) is at its target.
        Assert.Equal(3, shown.PeerCities);
        Assert.All(shown.Domains, d =>
        {
            Assert.Equal(string.Empty, d.Suppressed);
            Assert.Equal(3, d.Contributors);
            Assert.Equal((1.5, 2.0, 2.5), (d.PeersCurrent.LowerQuartile, d.PeersCurrent.Median, d.PeersCurrent.UpperQuartile));
            Assert.Equal(33, d.PercentAtTarget);
            Assert.Equal((2, 3), (d.Current, d.Target));
        });

        // The CLI prints the same figures for scripts.
        var cli = await viewer.CliAsync("benchmark", "--json");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        var gov = JsonNode.Parse(cli.Stdout)!["domains"]!.AsArray().Single(d => d!["code"]!.GetValue<string>() == "gov")!;
        Assert.Equal(2.0, gov["peers"]!["current"]!["median"]!.GetValue<double>());
        Assert.Null(gov["peers"]!["current"]!["min"]);
    }

    [Fact]
    public async Task Benchmark_ViewersOwnAssessments_NeverCountTowardItsPeers()
    {
        // Arrange: the viewer publishes twice; two peers once. Counted, the viewer would make k = 3.
        await using var cluster = await FoundAsync(3);
        var viewer = cluster[0];
        var ids = new[]
        {
            await PublishAsync(viewer, Uniform(5, 5)),
            await PublishAsync(viewer, Uniform(4, 5)),
            await PublishAsync(cluster[1], Uniform(1, 2)),
            await PublishAsync(cluster[2], Uniform(2, 3)),
        };
        await WaitHoldsAsync(viewer, ids);
        await WaitHoldsAsync(cluster[1], ids);

        // Act
        var own = await BenchmarkAsync(viewer);
        var peer = await BenchmarkAsync(cluster[1]);

        // Assert: the viewer sees two peers (not itself), and is seen by a peer as one city (its latest assessment only).
        Assert.Equal(2, own.PeerCities);
        Assert.All(own.Domains, d => Assert.Equal("fewer-than-k", d.Suppressed));
        Assert.Equal(ids[1].ToString(), own.AssessmentId);
        Assert.All(own.Domains, d => Assert.Equal((4, 5), (d.Current, d.Target)));
        Assert.Equal(2, peer.PeerCities);
        Assert.All(peer.Domains, d => Assert.Equal("fewer-than-k", d.Suppressed));
    }

    [Fact]
    public async Task Benchmark_DifferencingThroughTwoCohortFilters_Refused()
    {
        // Arrange: four peers, three in DE and one in FR. "All peers" minus "country=DE" would be the French city alone.
        await using var cluster = await FoundAsync(5);
        var viewer = cluster[0];
        var ids = new[]
        {
            await PublishAsync(viewer, Uniform(2, 3)),
            await PublishAsync(cluster[1], Uniform(1, 2)),
            await PublishAsync(cluster[2], Uniform(2, 3)),
            await PublishAsync(cluster[3], Uniform(3, 4)),
            await PublishAsync(cluster[4], Uniform(5, 5, country: "FR")),
        };
        await WaitHoldsAsync(viewer, ids);

        // Act
        var all = await BenchmarkAsync(viewer);
        var germany = await Assert.ThrowsAsync<RpcException>(() => BenchmarkAsync(viewer, "country=DE"));
        var france = await Assert.ThrowsAsync<RpcException>(() => BenchmarkAsync(viewer, "country=FR"));
        var cli = await viewer.CliAsync("benchmark", "--cohort", "country=de");

        // Assert: the unfiltered view is shown; both filters that would expose the French city are refused.
        Assert.Equal(4, all.PeerCities);
        Assert.All(all.Domains, d => Assert.Equal(4, d.Contributors));
        Assert.Equal(StatusCode.FailedPrecondition, germany.StatusCode);
        Assert.Contains("leaves out fewer than 3 of all peers", germany.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, france.StatusCode);
        Assert.Contains("holds fewer than 3 other cities", france.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(5, cli.ExitCode);
        Assert.StartsWith("i4c: cohort refused: the cohort 'country=DE'", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Fact]
    public async Task Benchmark_AmberStrictAssessmentToNamedAudience_UsedOnlyByNodesInTheAudience()
    {
        // Arrange: city 3 shares its (distinctive) assessment at AMBER+STRICT with the viewer only.
        await using var cluster = await FoundAsync(5);
        var viewer = cluster[0];
        var outsider = cluster[4];
        var open = new[]
        {
            await PublishAsync(viewer, Uniform(1, 2)),
            await PublishAsync(cluster[1], Uniform(1, 2)),
            await PublishAsync(cluster[2], Uniform(1, 2)),
            await PublishAsync(outsider, Uniform(1, 2)),
        };
        var strict = await PublishAsync(cluster[3], Uniform(5, 5), Tlp.AmberStrict, viewer);
        await WaitHoldsAsync(viewer, [.. open, strict]);
        await WaitHoldsAsync(outsider, open);
        await WaitHoldsAsync(cluster[1], open);

        // Act
        var inside = await BenchmarkAsync(viewer);
        var outside = await BenchmarkAsync(outsider);
        var otherOutside = await BenchmarkAsync(cluster[1]);

        // Assert: the viewer counts four peers, its upper quartile lifted by city 3 (1, 1, 1, 5 → 2.0);
        // the nodes outside the audience count three and never see city 3's answers.
        Assert.Equal(4, inside.PeerCities);
        Assert.All(inside.Domains, d => Assert.Equal(2.0, d.PeersCurrent.UpperQuartile));
        Assert.Equal(3, outside.PeerCities);
        Assert.All(outside.Domains, d => Assert.Equal((1.0, 1.0), (d.PeersCurrent.Median, d.PeersCurrent.UpperQuartile)));
        Assert.Equal(3, otherOutside.PeerCities);
        Assert.False(outsider.Holds(strict), "a node outside the audience holds the AMBER+STRICT assessment");
        Assert.False(cluster[1].Holds(strict), "a node outside the audience holds the AMBER+STRICT assessment");
        var stored = viewer.Node.Store.Get(strict)!;
        Assert.Equal(EncryptionScheme.X25519HkdfXchacha20Poly1305, stored.Header.Encryption);
        // The report built from it is marked with the strictest label it draws on; the outsiders' with AMBER.
        Assert.Equal(Tlp.AmberStrict, inside.Label);
        Assert.Equal(Tlp.Amber, outside.Label);
    }
}
