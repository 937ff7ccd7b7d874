using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Crypto;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// Helpers for the TLP enforcement tests: restricted publishing, Admin reads that report the
/// status code instead of throwing, a listener node, records crafted by a hostile member
/// (encrypted to an audience like an honest node would), and what a raw link received.
/// </summary>
public static class TlpScenario
{
    /// <summary>
    /// Replaces node <paramref name="index"/> (started, not yet in a mesh) by a fresh identity whose
    /// profile is a listener: stops it, empties its data directory, creates the identity, starts it again.
    /// </summary>
    public static async Task MakeListenerAsync(this MeshCluster cluster, int index)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var node = cluster[index];
        await cluster.StopNodeAsync(index).ConfigureAwait(false);
        Directory.Delete(node.DataDirectory, recursive: true);
        var profile = node.Profile with { Participation = Participation.Listener };
        new DataDirectory(node.DataDirectory).CreateIdentity(profile, TimeProvider.System).Dispose();
        await cluster.StartNodeAsync(index).ConfigureAwait(false);
        if (node.Node.Profile.Participation != Participation.Listener)
        {
            throw new InvalidOperationException($"{node} did not come back as a listener.");
        }
    }

    /// <summary>Publishes an advisory with this title and body through <c>LocalNode.PublishAsync</c>, to <paramref name="audience"/> (empty: all members).</summary>
    public static async Task<ValidatedRecord> PublishAdvisoryAsync(this ClusterNode node, string title, string body, Tlp tlp, IReadOnlyList<NodeId> audience, long expiresUnixMs = 0, IReadOnlyList<Reference>? references = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var draft = new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = tlp,
            Payload = new Advisory { Title = title, Body = body, Tags = { "tlp-test" } }.ToByteArray(),
            Audience = audience,
            ExpiresUnixMs = expiresUnixMs,
            References = references ?? [],
        };
        return await node.Node.PublishAsync(draft, CancellationToken.None).Within(Timeouts.Call, $"publishing '{title}' on {node}").ConfigureAwait(false);
    }

    /// <summary>Admin.Show: the reply, or the status code the node answered with.</summary>
    public static async Task<(ShowReply? Reply, StatusCode Status, string Detail)> TryShowAsync(this ClusterNode node, RecordId id)
    {
        ArgumentNullException.ThrowIfNull(node);
        var (channel, client) = node.AdminClient();
        using (channel)
        {
            try
            {
                var reply = await client.ShowAsync(new ShowRequest { Id = id.ToString() }, deadline: DateTime.UtcNow + Timeouts.Call)
                    .ResponseAsync.Within(Timeouts.Call, $"Admin.Show {id} on {node}").ConfigureAwait(false);
                return (reply, StatusCode.OK, string.Empty);
            }
            catch (RpcException ex)
            {
                return (null, ex.StatusCode, ex.Status.Detail);
            }
        }
    }

    /// <summary>The title of the advisory a Show reply carries, or null when it carries no content.</summary>
    public static string? AdvisoryTitle(this ShowReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply.ContentCase == ShowReply.ContentOneofCase.Advisory ? reply.Advisory.Title : null;
    }

    /// <summary>Every record the node sent on this raw link so far.</summary>
    public static IReadOnlyList<SignedRecord> RecordsReceived(this RawLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return link.Received.Where(f => f.BodyCase == LinkFrame.BodyOneofCase.Records).SelectMany(f => f.Records.Records_).ToList();
    }

    /// <summary>Ids of every record the node sent on this raw link so far.</summary>
    public static HashSet<RecordId> RecordIdsReceived(this RawLink link) =>
        link.RecordsReceived().Select(r => RecordId.OfHeader(r.Header.Span)).ToHashSet();

    /// <summary>Asks the node for these records by id, as a peer does after an announcement.</summary>
    public static Task SendFetchAsync(this RawLink link, IEnumerable<RecordId> ids)
    {
        ArgumentNullException.ThrowIfNull(link);
        var fetch = new Fetch();
        fetch.Ids.AddRange(ids.Select(id => ByteString.CopyFrom(id.Span)));
        return link.SendAsync(new LinkFrame { Fetch = fetch });
    }

    /// <summary>Asks the node for a range of one chain, as anti-entropy does.</summary>
    public static Task SendWantAsync(this RawLink link, RecordHeader chainOf, ulong fromSeq, ulong toSeq)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(chainOf);
        var want = new Want();
        want.Ranges.Add(new ChainRange { Author = chainOf.Author, Channel = chainOf.Channel, FromSeq = fromSeq, ToSeq = toSeq });
        return link.SendAsync(new LinkFrame { Want = want });
    }

    /// <summary>
    /// Signs an advisory as <paramref name="author"/>, as an honest node would write it: for a named
    /// audience the payload is sealed with <see cref="GroupCrypto"/> to the recipients and the author.
    /// </summary>
    public static SignedRecord SignAdvisory(
        NodeIdentity author,
        byte[] meshId,
        Tlp tlp,
        string title,
        IReadOnlyList<GroupReader> audience,
        ulong seq,
        RecordId prev,
        IReadOnlyList<Reference>? references = null)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(audience);
        var plaintext = new Advisory { Title = title, Body = $"{title}: crafted by a test member." }.ToByteArray();
        var draft = new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = tlp,
            MeshId = meshId,
            Payload = plaintext,
            Audience = audience.Select(r => r.Id).ToList(),
            References = references ?? [],
        };
        if (audience.Count > 0)
        {
            var channel = RecordWriter.ChannelOf(draft);
            var binding = GroupCrypto.Binding(meshId, author.Id.PublicKey, channel, seq, draft.Kind, tlp);
            var readers = audience.Append(new GroupReader(author.Id, author.AgreementPublicKey)).ToList();
            draft = draft with { Payload = GroupCrypto.Seal(plaintext, binding, readers), Encryption = EncryptionScheme.X25519HkdfXchacha20Poly1305 };
        }
        return RecordWriter.Sign(author, draft, seq, prev, DateTimeOffset.UtcNow);
    }

    /// <summary>The reader entry (id and X25519 key) of a running cluster node.</summary>
    public static GroupReader Reader(this ClusterNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new GroupReader(node.Id, node.Identity.AgreementPublicKey);
    }
}

/// <summary>Where a canary string was found.</summary>
public sealed record CanaryHit(string Where, string Encoding, long Offset)
{
    public override string ToString() => $"{Where} ({Encoding}, offset {Offset})";
}

/// <summary>A unique marker string put into restricted content, and searches for it in files and captured logs.</summary>
public static class Canary
{
    private static readonly (string Name, Encoding Encoding)[] Encodings =
    [
        ("UTF-8", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)),
        ("UTF-16LE", new UnicodeEncoding(bigEndian: false, byteOrderMark: false)),
        ("UTF-16BE", new UnicodeEncoding(bigEndian: true, byteOrderMark: false)),
    ];

    /// <summary>A fresh canary: "CANARY-" and 16 random hex digits.</summary>
    public static string New() => "CANARY-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Every occurrence (first per file and encoding) of the canary in the raw bytes of every file under <paramref name="directory"/>.</summary>
    public static IReadOnlyList<CanaryHit> InFiles(string directory, string canary, Action<string>? scanned = null)
    {
        var hits = new List<CanaryHit>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            scanned?.Invoke($"{Path.GetRelativePath(directory, file)} ({bytes.Length} bytes)");
            foreach (var (name, encoding) in Encodings)
            {
                var at = bytes.AsSpan().IndexOf(encoding.GetBytes(canary));
                if (at >= 0)
                {
                    hits.Add(new CanaryHit(file, name, at));
                }
            }
        }
        return hits;
    }

    /// <summary>Every captured log line (message and exception) that contains the canary.</summary>
    public static IReadOnlyList<CanaryHit> InLogs(LogSink logs, string canary)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var hits = new List<CanaryHit>();
        foreach (var (entry, index) in logs.Entries.Select((e, i) => (e, i)))
        {
            var text = entry.ToString() + (entry.Exception?.ToString() ?? string.Empty);
            var at = text.IndexOf(canary, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                hits.Add(new CanaryHit($"log line {index} of n{entry.Node}: {entry}", "text", at));
            }
        }
        return hits;
    }
}
