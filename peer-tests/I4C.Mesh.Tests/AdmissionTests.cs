using Grpc.Core;
using I4C.Core.Membership;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
public sealed class AdmissionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Applicant_EndorsedByExactlyTheThreshold_IsAdmittedAtTheKthEndorsementThenLinksAndCatchesUp()
    {
        // Arrange: three founders with k = 2; node 3 runs but is not in the charter.
        await using var cluster = await MeshCluster.StartAsync(4, output);
        await cluster.FoundAsync(founders: [0, 1, 2]);
        var founders = cluster.Nodes.Take(3).ToList();
        var applicant = cluster[3];
        var charter = CharterRules.Inspect(cluster.Charter!, founders[0].Node.Validator);
        Assert.Equal(2u, charter.Charter.AdmissionThreshold);
        Assert.False(charter.Names(applicant.Id));
        var before = await cluster[0].PublishAdvisoryAsync("Bonn: published before Gemeente Utrecht applied");
        await Retry.Until(() => founders.All(n => n.Holds(before.Id)), Timeouts.Converge, "the founders hold Bonn's first advisory");

        // Act 1: the applicant asks with `i4c join-request --charter`; one founder endorses with `i4c endorse`.
        var charterFile = cluster.WriteCharterFile("charter.json");
        var requestFile = Path.Combine(cluster.Root, "utrecht-join.json");
        var asked = await applicant.CliJsonAsync("join-request", "--charter", charterFile, "--out", requestFile);
        Assert.Equal(applicant.Id.Text, asked["nodeId"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(cluster.MeshId), asked["meshId"]!.GetValue<string>());
        var refusalsBefore = cluster.Logs.Events("NonMemberRefused").Count;
        var first = await cluster[0].CliJsonAsync("endorse", requestFile);

        // Assert 1: one endorsement short of k, it is an applicant everywhere and cannot link.
        Assert.Equal(1u, first["endorsements"]!.GetValue<uint>());
        Assert.Equal(2u, first["threshold"]!.GetValue<uint>());
        Assert.False(first["member"]!.GetValue<bool>());
        await MembershipSteps.UntilStandingAsync(founders, applicant.Id, StandingKind.Applicant, "the applicant");
        Assert.All(founders, n => Assert.Equal(1, n.StandingOn(applicant.Id)!.Endorsements));
        var listed = await cluster[2].MemberEntryAsync(applicant.Id);
        Assert.Equal("applicant", listed["status"]!.GetValue<string>());
        Assert.Equal(1u, listed["endorsements"]!.GetValue<uint>());
        // Its node dials the founders it learned from the charter, and they refuse the Link call.
        await Retry.Until(() => cluster.Logs.Events("NonMemberRefused").Skip(refusalsBefore).Any(e => e.Node < 3 && e.Message.Contains("Link", StringComparison.Ordinal)),
            Timeouts.Converge, "a founder refuses the applicant's Link call");
        var pending = await cluster[1].PublishAdvisoryAsync("Lyon: published while Utrecht waits for a second endorsement");
        await Retry.Until(() => founders.All(n => n.Holds(pending.Id)), Timeouts.Converge, "the founders hold Lyon's advisory");
        Assert.All(founders, n => Assert.False(n.Sync.IsLinked(applicant.Id), $"{n} has a link with the applicant"));
        Assert.False(applicant.Holds(before.Id), "the applicant holds a founder's advisory before admission");
        Assert.False(applicant.Holds(pending.Id), "the applicant holds a founder's advisory before admission");
        Assert.All(applicant.Node.Store.ReadAll(), r => Assert.Equal(applicant.Id, r.Author));
        Assert.False(applicant.Mesh.Roster.IsMember(applicant.Id));

        // Act 2: a second founder endorses, through its MeshState.
        var request = JoinRequest.Parser.ParseFrom(Convert.FromBase64String(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(requestFile))!["request"]!.GetValue<string>()));
        var (endorsed, _, _) = await cluster[1].Mesh.EndorseAsync(request, dryRun: false, CancellationToken.None).AsTask().Within(Timeouts.Call, "Lyon endorsing Utrecht");

        // Assert 2: a member on every node; it links, catches up, and what it publishes reaches the others.
        Assert.Equal(applicant.Id, endorsed);
        await MembershipSteps.UntilStandingAsync(cluster.Nodes, applicant.Id, StandingKind.Member, "the applicant");
        await cluster.WaitForStableAsync();
        Assert.True(applicant.Holds(before.Id));
        Assert.True(applicant.Holds(pending.Id));
        Assert.Empty(applicant.Node.Verify().Failures);
        Assert.All(founders, n => Assert.StartsWith("admitted by 2 endorsements", n.StandingOn(applicant.Id)!.Reason, StringComparison.Ordinal));
        var own = await applicant.PublishAdvisoryAsync("Utrecht: first advisory as a member");
        await Retry.Until(() => founders.All(n => n.Holds(own.Id)), Timeouts.Converge, "Utrecht's advisory reaches every founder");
        var member = await cluster[0].MemberEntryAsync(applicant.Id);
        Assert.Equal("member", member["status"]!.GetValue<string>());
        Assert.False(member["founder"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Applicant_OneEndorsementShortOfThreshold_GetsTheCharterButLinkIsPermissionDenied()
    {
        // Arrange: two founders with k = 2; node 2 applies and one founder endorses it.
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync(founders: [0, 1]);
        var applicant = cluster[2];
        var request = await applicant.Mesh.CreateJoinRequestAsync(cluster.Charter!, CancellationToken.None).AsTask().Within(Timeouts.Call, "Torino's join request");
        await cluster[0].Mesh.EndorseAsync(request, dryRun: false, CancellationToken.None).AsTask().Within(Timeouts.Call, "Bonn endorsing Torino");
        await MembershipSteps.UntilStandingAsync(cluster.Nodes.Take(2), applicant.Id, StandingKind.Applicant, "the applicant");
        Assert.Equal(1, cluster[1].StandingOn(applicant.Id)!.Endorsements);

        // Act: with its own node certificate, it asks founder 1 for the charter and for a Link.
        var answer = await MembershipSteps.AskMeshPortAsync(applicant, cluster[1]);

        // Assert
        Assert.Equal(cluster.Charter, answer.Charter.Charter);
        Assert.Equal(Convert.ToHexStringLower(cluster.MeshId), answer.Charter.MeshId);
        Assert.Equal(StatusCode.PermissionDenied, answer.LinkStatus);
        Assert.True(cluster.Logs.Has("NonMemberRefused", 1));
        Assert.False(cluster[1].Sync.IsLinked(applicant.Id));
        Assert.False(cluster[0].Sync.IsLinked(applicant.Id));
        Assert.DoesNotContain(cluster.Nodes, n => n.Mesh.Roster.IsMember(applicant.Id));
        Assert.All(applicant.Node.Store.ReadAll(), r => Assert.Equal(applicant.Id, r.Author));
    }
}
