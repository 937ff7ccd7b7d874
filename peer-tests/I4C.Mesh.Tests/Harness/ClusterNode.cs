using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using I4C.Cli;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using Microsoft.Extensions.DependencyInjection;

namespace I4C.Mesh.Tests.Harness;

/// <summary>What an in-process `i4c` run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// One node of a <see cref="MeshCluster"/>: its data directory and profile, which outlive
/// restarts, and the running <see cref="NodeHost"/> while it is up.
/// </summary>
public sealed class ClusterNode
{
    internal ClusterNode(int index, string dataDirectory, NodeProfile profile)
    {
        Index = index;
        DataDirectory = dataDirectory;
        Profile = profile;
    }

    public int Index { get; }

    public string DataDirectory { get; }

    public NodeProfile Profile { get; }

    public string Name => Profile.Name;

    /// <summary>The node id; known once the node has started for the first time.</summary>
    public NodeId Id { get; internal set; } = null!;

    /// <summary>The running host, or null while the node is stopped.</summary>
    public NodeHost? Host { get; internal set; }

    public bool IsRunning => Host is not null;

    public NodeHost Running => Host ?? throw new InvalidOperationException($"node {Index} ({Name}) is not running.");

    public LocalNode Node => Running.Node;

    public NodeIdentity Identity => Node.Identity;

    public MeshState Mesh => Service<MeshState>();

    public SyncEngine Sync => Service<SyncEngine>();

    public PeerScores Scores => Service<PeerScores>();

    public ConnectionManager Connections => Service<ConnectionManager>();

    /// <summary>The mesh endpoint the node listens on now (it changes on restart: port 0).</summary>
    public string MeshEndpoint => Running.Runtime.MeshEndpoint;

    public T Service<T>() where T : notnull => Running.Services.GetRequiredService<T>();

    /// <summary>Ids of every record the node holds.</summary>
    public HashSet<RecordId> RecordIds() => Node.Store.ReadAll().Select(r => r.Id).ToHashSet();

    public bool Holds(RecordId id) => Node.Store.Contains(id);

    public long RecordCount => Node.Store.Count();

    /// <summary>Members this node has a live link with.</summary>
    public IReadOnlyList<NodeId> LinkedPeers => Sync.Links.Select(l => l.Peer).ToList();

    public override string ToString() => $"n{Index} {Name}";

    /// <summary>Publishes an advisory authored by this node, straight through <see cref="LocalNode.PublishAsync"/>.</summary>
    public async Task<ValidatedRecord> PublishAdvisoryAsync(string title, Tlp tlp = Tlp.Green)
    {
        var draft = new RecordDraft { Kind = RecordKind.Advisory, Tlp = tlp, Payload = Advisories.Create(title, Name).ToByteArray() };
        return await Node.PublishAsync(draft, CancellationToken.None).Within(Timeouts.Call, $"publishing '{title}' on {this}").ConfigureAwait(false);
    }

    /// <summary>Publishes an advisory through the Admin gRPC API, as an operator's tool would.</summary>
    public async Task<RecordId> PublishViaAdminAsync(string title, Tlp tlp = Tlp.Green)
    {
        var (channel, client) = AdminClient();
        using (channel)
        {
            var reply = await client.PublishAsync(new PublishRequest { Tlp = tlp, Advisory = Advisories.Create(title, Name) }, deadline: DateTime.UtcNow + Timeouts.Call)
                .ResponseAsync.Within(Timeouts.Call, $"Admin.Publish '{title}' on {this}").ConfigureAwait(false);
            return RecordId.TryParse(reply.Id, out var id) ? id : throw new InvalidOperationException($"Admin.Publish returned '{reply.Id}', not a record id.");
        }
    }

    /// <summary>Publishes an advisory with `i4c publish advisory --json`, in-process.</summary>
    public async Task<RecordId> PublishViaCliAsync(string title, string tlp = "green")
    {
        var result = await CliAsync("publish", "advisory", "--tlp", tlp, "--title", title, "--body", $"Reported by {Name}.", "--indicator", "domain:steuer-amt-bescheid.example", "--json").ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("i4c publish failed: " + result);
        }
        var text = System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)?["id"]?.GetValue<string>();
        return RecordId.TryParse(text, out var id) ? id : throw new InvalidOperationException("i4c publish printed no record id: " + result);
    }

    /// <summary>Runs `i4c ARGS --data DIR` in-process against this node.</summary>
    public async Task<CliResult> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cts = new CancellationTokenSource(Timeouts.Call + Timeouts.Call);
        var exit = await CliApp.RunAsync([.. args, "--data", DataDirectory], stdout, stderr, cts.Token)
            .Within(Timeouts.Call + Timeouts.Call, $"i4c {string.Join(' ', args)} on {this}").ConfigureAwait(false);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>An Admin gRPC client with this node's bearer token (dispose the channel).</summary>
    public (GrpcChannel Channel, Protocol.V1.Admin.AdminClient Client) AdminClient()
    {
        var token = Running.Data.ReadAdminToken();
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
        var channel = GrpcChannel.ForAddress(Running.AdminUrl, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        return (channel, new Protocol.V1.Admin.AdminClient(channel));
    }
}

/// <summary>Realistic advisory payloads.</summary>
public static class Advisories
{
    public static Advisory Create(string title, string source, int bodyBytes = 0) => new()
    {
        Title = title,
        Body = bodyBytes > 0
            ? new string('x', bodyBytes)
            : $"Observed by the CERT of {source}: phishing wave impersonating the municipal tax office; block the indicators below.",
        Indicators =
        {
            new Indicator { Type = "domain", Value = "steuer-amt-bescheid.example", Category = "Network activity", ToIds = true },
            new Indicator { Type = "ip-dst", Value = "203.0.113.77", Category = "Network activity", ToIds = true },
        },
        Tags = { "phishing", "municipal" },
        ThreatLevel = 2,
        Analysis = 1,
    };
}
