using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// An identity with a real key pair and TLS certificate that no running node owns: the
/// test speaks for it. Its member card advertises an endpoint nobody listens on, so
/// peers cannot dial it; it dials them. Used as a hostile founder or as a non-member.
/// </summary>
public sealed class HostileMember : IDisposable
{
    private HostileMember(NodeIdentity identity, X509Certificate2 certificate, SignedRecord card)
    {
        Identity = identity;
        Certificate = certificate;
        CardRecord = card;
        CardId = RecordId.OfHeader(card.Header.Span);
    }

    public NodeIdentity Identity { get; }

    public NodeId Id => Identity.Id;

    public X509Certificate2 Certificate { get; }

    /// <summary>Its MEMBER_CARD record (seq 1 on the mesh channel, no mesh id: made before any charter).</summary>
    public SignedRecord CardRecord { get; }

    public RecordId CardId { get; }

    public static HostileMember Create(string directory, NodeProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var data = new DataDirectory(directory);
        var identity = data.CreateIdentity(profile, TimeProvider.System);
        var certificate = data.LoadCertificate();
        var card = new MemberCard
        {
            Name = profile.Name,
            Country = profile.Country,
            Category = MemberCards.ToProto(profile.Category),
            Participation = MemberCards.ToProto(profile.Participation),
            X25519Key = ByteString.CopyFrom(identity.AgreementPublicKey),
            TlsCertSha256 = ByteString.CopyFrom(PeerDialer.HashOf(certificate)),
            MeshEndpoints = { $"127.0.0.1:{UnusedPort()}" },
            UdpPort = 0,
            IssuedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        var record = RecordWriter.Sign(identity, new RecordDraft { Kind = RecordKind.MemberCard, Tlp = Tlp.Clear, Payload = card.ToByteArray() }, 1, default, DateTimeOffset.UtcNow);
        return new HostileMember(identity, certificate, record);
    }

    /// <summary>A port that was free a moment ago and that nothing listens on.</summary>
    public static int UnusedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Signs an advisory as this identity at (mesh channel, <paramref name="seq"/>) after <paramref name="prev"/>.</summary>
    public SignedRecord Advisory(string title, byte[] meshId, ulong seq, RecordId prev, int bodyBytes = 0) =>
        RecordWriter.Sign(Identity, new RecordDraft
        {
            Kind = RecordKind.Advisory,
            Tlp = Tlp.Green,
            MeshId = meshId,
            Payload = Harness.Advisories.Create(title, "nowhere", bodyBytes).ToByteArray(),
        }, seq, prev, DateTimeOffset.UtcNow);

    /// <summary>A Mesh client over mutual TLS with this identity's certificate, accepting any server certificate.</summary>
    public PeerDialer.Dialed Dial(string endpoint, int maxMessageBytes = 16 * 1024 * 1024) =>
        new PeerDialer(Certificate, new TrafficCounter()).Open(endpoint, pin: null, maxMessageBytes);

    public void Dispose()
    {
        Identity.Dispose();
        Certificate.Dispose();
    }
}

/// <summary>A Link stream opened by the test: it writes whatever frames it likes and drains what the node sends back.</summary>
public sealed class RawLink : IAsyncDisposable
{
    private readonly PeerDialer.Dialed _dialed;
    private readonly AsyncDuplexStreamingCall<LinkFrame, LinkFrame> _call;
    private readonly CancellationTokenSource _cts = new();
    private volatile TaskCompletionSource? _paused;

    private RawLink(PeerDialer.Dialed dialed, AsyncDuplexStreamingCall<LinkFrame, LinkFrame> call)
    {
        _dialed = dialed;
        _call = call;
        Completion = DrainAsync();
    }

    /// <summary>Frames the node sent.</summary>
    public ConcurrentQueue<LinkFrame> Received { get; } = new();

    /// <summary>Completes when the node ends the stream (normally or with an error status, kept in <see cref="EndedWith"/>).</summary>
    public Task Completion { get; }

    public Exception? EndedWith { get; private set; }

    /// <summary>Opens Link; throws <see cref="RpcException"/> when the node refuses the call.</summary>
    public static async Task<RawLink> OpenAsync(HostileMember who, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(who);
        var dialed = who.Dial(endpoint);
        try
        {
            var call = new Protocol.V1.Mesh.MeshClient(dialed.Channel).Link();
            await call.ResponseHeadersAsync.Within(Timeouts.Call, "Link response headers").ConfigureAwait(false);
            var link = new RawLink(dialed, call);
            // A refusal arrives as a trailers-only response: wait for the first frame (the node's Hello) or the end.
            await Retry.Until(() => !link.Received.IsEmpty || link.Completion.IsCompleted, Timeouts.Call, "the node answers the Link call").ConfigureAwait(false);
            if (link.Received.IsEmpty && link.EndedWith is RpcException refused)
            {
                await link.DisposeAsync().ConfigureAwait(false);
                throw refused;
            }
            return link;
        }
        catch
        {
            dialed.Dispose();
            throw;
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                if (_paused is { } paused)
                {
                    await paused.Task.WaitAsync(_cts.Token).ConfigureAwait(false);
                }
                if (!await _call.ResponseStream.MoveNext(_cts.Token).ConfigureAwait(false))
                {
                    break;
                }
                Received.Enqueue(_call.ResponseStream.Current);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            EndedWith = ex;
        }
    }

    /// <summary>
    /// Stops reading the node's frames (after the one being read, if any). What the node sends then
    /// waits in HTTP/2 flow control, so the node's writer and its bulk window fill up and a range
    /// stream stays in progress until <see cref="ResumeReading"/>.
    /// </summary>
    public void PauseReading() => _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading()
    {
        var paused = _paused;
        _paused = null;
        paused?.TrySetResult();
    }

    public Task SendAsync(LinkFrame frame) => _call.RequestStream.WriteAsync(frame).Within(Timeouts.Call, $"writing a {frame.BodyCase} frame");

    public Task SendHelloAsync(byte[] meshId) => SendAsync(new LinkFrame { Hello = new Hello { Version = 1, MeshId = ByteString.CopyFrom(meshId), UdpPort = 0 } });

    public Task SendRecordsAsync(params SignedRecord[] records)
    {
        var frame = new Records { Eager = true };
        frame.Records_.AddRange(records);
        return SendAsync(new LinkFrame { Records = frame });
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        _call.Dispose();
        await Completion.Within(Timeouts.Call, "draining the raw link").ConfigureAwait(false);
        _dialed.Dispose();
        _cts.Dispose();
    }
}
