using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using I4C.Cli;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Hosting;

namespace I4C.Mesh.Tests.Harness;

/// <summary>What a node's certificate gets from another node's mesh port: the charter, and the Link call's fate.</summary>
public sealed record MeshPortAnswer(GetCharterReply Charter, StatusCode LinkStatus);

/// <summary>
/// Membership steps for peer tests: join requests, standings as each node computes them,
/// records signed by a member's key outside its node, and a node re-created as a listener.
/// </summary>
public static class MembershipSteps
{
    /// <summary>The standing node <paramref name="observer"/> computes for <paramref name="subject"/>, or null when it knows no such key.</summary>
    public static Standing? StandingOn(this ClusterNode observer, NodeId subject)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return observer.Mesh.Roster.StandingOf(subject);
    }

    /// <summary>Waits until every node in <paramref name="observers"/> computes <paramref name="kind"/> for <paramref name="subject"/>.</summary>
    public static Task<TimeSpan> UntilStandingAsync(IEnumerable<ClusterNode> observers, NodeId subject, StandingKind kind, string who)
    {
        var nodes = observers.ToList();
        return Retry.Until(() => nodes.All(n => n.StandingOn(subject)?.Kind == kind), Timeouts.Converge,
            () => $"every one of [{string.Join(", ", nodes)}] computes {who} as {kind}; now: " +
                string.Join("; ", nodes.Select(n => $"{n}: {Describe(n.StandingOn(subject))}")));
    }

    private static string Describe(Standing? standing) => standing is null ? "unknown" : $"{standing.Kind} ({standing.Reason})";

    /// <summary>Writes the cluster's charter as `i4c charter` files look (format and document), for `i4c join-request --charter`.</summary>
    public static string WriteCharterFile(this MeshCluster cluster, string name)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var charter = cluster.Charter ?? throw new InvalidOperationException("no charter: call FoundAsync first.");
        var path = Path.Combine(cluster.Root, name);
        var json = new JsonObject
        {
            ["format"] = MeshCommands.CharterFormat,
            ["meshId"] = Convert.ToHexStringLower(cluster.MeshId),
            ["document"] = Convert.ToBase64String(charter.ToByteArray()),
        };
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>Runs an `i4c` command that must succeed with --json and returns its parsed output.</summary>
    public static async Task<JsonNode> CliJsonAsync(this ClusterNode node, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(node);
        var result = await node.CliAsync([.. args, "--json"]).ConfigureAwait(false);
        Assert.True(result.ExitCode == 0, $"i4c {string.Join(' ', args)} on {node} failed: {result}");
        return JsonNode.Parse(result.Stdout) ?? throw new InvalidOperationException($"i4c {string.Join(' ', args)} printed no JSON: {result}");
    }

    /// <summary>The entry `i4c members --json` on <paramref name="node"/> prints for <paramref name="subject"/>.</summary>
    public static async Task<JsonNode> MemberEntryAsync(this ClusterNode node, NodeId subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var members = await node.CliJsonAsync("members").ConfigureAwait(false);
        return members["members"]!.AsArray().SingleOrDefault(m => m!["nodeId"]!.GetValue<string>() == subject.Text)
            ?? throw new Xunit.Sdk.XunitException($"`i4c members` on {node} does not list {subject}:\n{members.ToJsonString()}");
    }

    /// <summary>
    /// Dials <paramref name="target"/>'s mesh port with <paramref name="who"/>'s own TLS certificate
    /// (as its node would) and asks for the charter, then opens Link and reports how it ended.
    /// </summary>
    public static async Task<MeshPortAnswer> AskMeshPortAsync(ClusterNode who, ClusterNode target)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(target);
        using var certificate = who.Running.Data.LoadCertificate();
        using var dialed = new PeerDialer(certificate, new TrafficCounter()).Open(target.MeshEndpoint, pin: null, 16 * 1024 * 1024);
        var client = new Protocol.V1.Mesh.MeshClient(dialed.Channel);
        var charter = await client.GetCharterAsync(new GetCharterRequest(), deadline: DateTime.UtcNow + Timeouts.Call)
            .ResponseAsync.Within(Timeouts.Call, $"GetCharter from {target} as {who}").ConfigureAwait(false);
        using var cts = new CancellationTokenSource(Timeouts.Call);
        using var call = client.Link(cancellationToken: cts.Token);
        try
        {
            // A refusal is a trailers-only response: the stream ends at once with the status.
            await call.ResponseStream.MoveNext(cts.Token).ConfigureAwait(false);
            return new MeshPortAnswer(charter, StatusCode.OK);
        }
        catch (RpcException ex)
        {
            return new MeshPortAnswer(charter, ex.StatusCode);
        }
    }

    /// <summary>
    /// Signs an advisory with <paramref name="author"/>'s key at the next position of its mesh
    /// channel, as its node would have written it; the node does not store it.
    /// </summary>
    public static SignedRecord NextAdvisoryOf(ClusterNode author, string title)
    {
        ArgumentNullException.ThrowIfNull(author);
        var draft = new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = Tlp.Green,
            MeshId = author.Node.MeshId,
            Payload = Advisories.Create(title, author.Name).ToByteArray(),
        };
        var (seq, head) = author.Node.Store.GetHead(author.Id, RecordWriter.ChannelOf(draft));
        return RecordWriter.Sign(author.Identity, draft, seq + 1, head, DateTimeOffset.UtcNow);
    }

    /// <summary>An endorsement of <paramref name="request"/> signed by the test-held member, at seq 2 after its card.</summary>
    public static SignedRecord Endorsement(this HostileMember endorser, JoinRequest request, byte[] meshId)
    {
        ArgumentNullException.ThrowIfNull(endorser);
        return RecordWriter.Sign(endorser.Identity, new RecordDraft
        {
            Kind = RecordKind.Endorsement,
            Tlp = Tlp.Clear,
            MeshId = meshId,
            Payload = new Endorsement { Request = request }.ToByteArray(),
        }, 2, endorser.CardId, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Opens a Link to <paramref name="target"/> as the test-held member, says Hello, sends
    /// <paramref name="records"/> in one frame and keeps the link open (dispose it).
    /// </summary>
    public static async Task<RawLink> SendOverRawLinkAsync(this HostileMember who, ClusterNode target, byte[] meshId, params SignedRecord[] records)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(target);
        var link = await RawLink.OpenAsync(who, target.MeshEndpoint).ConfigureAwait(false);
        try
        {
            await link.SendHelloAsync(meshId).ConfigureAwait(false);
            await Retry.Until(() => target.Sync.IsLinked(who.Id), Timeouts.Call, $"{target} registers the link of {who.Id.Text[..12]}").ConfigureAwait(false);
            await link.SendRecordsAsync(records).ConfigureAwait(false);
            return link;
        }
        catch
        {
            await link.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether node <paramref name="node"/> logged a RecordRejected for <paramref name="id"/> with this rejection code.</summary>
    public static bool Rejected(this MeshCluster cluster, int node, RecordId id, string code)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return cluster.Logs.Events("RecordRejected", node).Any(e => e.Message.Contains(id.ToString(), StringComparison.Ordinal) && e.Message.Contains(code, StringComparison.Ordinal));
    }

    /// <summary>
    /// Replaces node <paramref name="index"/>'s identity, before it joins any mesh, by a fresh one
    /// with the same name but <see cref="Participation.Listener"/>, as an operator would with
    /// `i4c init --listener` on an empty data directory; the node runs again afterwards.
    /// </summary>
    public static async Task<NodeProfile> RecreateAsListenerAsync(this MeshCluster cluster, int index)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var node = cluster[index];
        if (node.IsRunning && node.Mesh.HasMesh)
        {
            throw new InvalidOperationException($"{node} is already in a mesh; re-create it before founding.");
        }
        await cluster.StopNodeAsync(index).ConfigureAwait(false);
        Directory.Delete(node.DataDirectory, recursive: true);
        var profile = node.Profile with { Participation = Participation.Listener };
        new DataDirectory(node.DataDirectory).CreateIdentity(profile, TimeProvider.System).Dispose();
        await cluster.StartNodeAsync(index).ConfigureAwait(false);
        return profile;
    }

    /// <summary>Waits until node <paramref name="index"/>'s host was asked to stop (as `i4c rotate-key` does), then starts it again on its data directory.</summary>
    public static async Task RestartAfterSelfStopAsync(this MeshCluster cluster, int index)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var lifetime = cluster[index].Service<IHostApplicationLifetime>();
        await Retry.Until(() => lifetime.ApplicationStopping.IsCancellationRequested, Timeouts.Call, $"{cluster[index]} stops itself").ConfigureAwait(false);
        await cluster.RestartNodeAsync(index).ConfigureAwait(false);
    }
}
