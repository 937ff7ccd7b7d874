using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using I4C.Core.Crypto;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using LiteNetLib;
using LiteNetLib.Utils;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Udp;

/// <summary>
/// The UDP control plane (LiteNetLib): one authenticated session per linked member for
/// liveness, round-trip time and lazy announcements (IHAVE). The dialer of a mesh link
/// also dials UDP with a signed hello; both sides derive a session key (X25519 + HKDF)
/// and every datagram is sealed (ChaCha20-Poly1305). Connection requests that do not
/// verify, and datagrams that do not open, are dropped.
/// </summary>
internal sealed class ControlPlane : IDisposable
{
    public static readonly TimeSpan HelloMaxAge = TimeSpan.FromSeconds(60);

    /// <summary>How long a dial may stay unanswered before the next maintenance tick dials again.</summary>
    public static readonly TimeSpan DialPatience = TimeSpan.FromSeconds(5);

    private readonly EventBasedNetListener _listener = new();
    private readonly NetManager _manager;
    private readonly LocalNode _node;
    private readonly MeshState _mesh;
    private readonly SyncEngine _engine;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<NodeId, Session> _sessions = new();
    private readonly ConcurrentDictionary<int, NodeId> _byPeerId = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seenSalts = new(StringComparer.Ordinal);
    private readonly UdpDials _dialing = new();
    private readonly ConcurrentDictionary<NodeId, DateTimeOffset> _unreachableSince = new();
    private readonly Lock _gate = new();

    private sealed record Session(NodeId Peer, NetPeer NetPeer, UdpSession Crypto)
    {
        public int RttMs { get; set; } = -1;
    }

    public ControlPlane(LocalNode node, MeshState mesh, SyncEngine engine, ILogger<ControlPlane> logger)
    {
        _node = node;
        _mesh = mesh;
        _engine = engine;
        _logger = logger;
        _manager = new NetManager(_listener)
        {
            UnsyncedEvents = true,
            UnconnectedMessagesEnabled = false,
            AutoRecycle = true,
            DisconnectTimeout = 5000,
            PingInterval = 1000,
            EnableStatistics = true,
        };
        _listener.ConnectionRequestEvent += OnConnectionRequest;
        _listener.PeerConnectedEvent += OnPeerConnected;
        _listener.PeerDisconnectedEvent += OnPeerDisconnected;
        _listener.NetworkReceiveEvent += OnReceive;
        _listener.NetworkLatencyUpdateEvent += (peer, latency) =>
        {
            if (_byPeerId.TryGetValue(peer.Id, out var id) && _sessions.TryGetValue(id, out var session) && ReferenceEquals(session.NetPeer, peer))
            {
                session.RttMs = latency;
            }
        };
        _engine.Announce += Announce;
        _engine.LinkChanged += (link, up) =>
        {
            // A link that ends because a newer link to the same peer replaced it (both sides dialed
            // at once) leaves the peer linked: its UDP session belongs to the peer, not to that link.
            if (!up && !_engine.IsLinked(link.Peer) && _sessions.TryRemove(link.Peer, out var session))
            {
                _byPeerId.TryRemove(session.NetPeer.Id, out _);
                session.NetPeer.Disconnect();
                session.Crypto.Dispose();
            }
        };
    }

    /// <summary>UDP bytes received and sent since start (the i4c_udp_bytes_total metric).</summary>
    public long BytesReceived => _manager.Statistics.BytesReceived;

    public long BytesSent => _manager.Statistics.BytesSent;

    /// <summary>The bound UDP port.</summary>
    public int Port => _manager.LocalPort;

    public void Start(int port)
    {
        if (!_manager.Start(IPAddress.Any, IPAddress.IPv6Any, port))
        {
            throw new NodeOptionsException($"--udp {port}: cannot bind the UDP port (in use?). Pick another or use 0 for any free port.");
        }
    }

    /// <summary>Whether a UDP session with the peer is up, and its last RTT in ms (-1 unknown).</summary>
    public (bool Up, int RttMs) StateOf(NodeId peer) =>
        _sessions.TryGetValue(peer, out var s) ? (true, s.RttMs) : (false, -1);

    /// <summary>When the peer's UDP session last timed out, if it is unreachable now.</summary>
    public DateTimeOffset? UnreachableSince(NodeId peer) => _unreachableSince.TryGetValue(peer, out var t) ? t : null;

    /// <summary>Dials UDP sessions for outbound links that have none (called periodically).</summary>
    public void Maintain()
    {
        var now = _node.Time.GetUtcNow();
        foreach (var link in _engine.Links)
        {
            if (!link.Outbound || link.PeerUdpPort <= 0 || _sessions.ContainsKey(link.Peer))
            {
                continue;
            }
            if (_dialing.IsPending(link.Peer, now, DialPatience))
            {
                continue;
            }
            var member = _mesh.Roster.Get(link.Peer);
            var host = HostOf(link.Endpoint);
            if (member is null || host is null || _mesh.MeshId is null)
            {
                continue;
            }
            var salt = RandomNumberGenerator.GetBytes(32);
            var hello = UdpSession.CreateHello(_node.Identity, link.Peer, _mesh.MeshId, salt, now);
            var crypto = UdpSession.Derive(_node.Identity, link.Peer, member.Card.X25519Key.Span, salt, dialer: true);
            var target = new IPEndPoint(host, link.PeerUdpPort);
            _dialing.Add(link.Peer, crypto, target, now);
            var writer = new NetDataWriter();
            writer.Put(hello.ToByteArray());
            _manager.Connect(target, writer);
        }
        foreach (var (salt, seen) in _seenSalts)
        {
            if (now - seen > HelloMaxAge * 2)
            {
                _seenSalts.TryRemove(salt, out _);
            }
        }
    }

    private static IPAddress? HostOf(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0)
        {
            return null;
        }
        var host = endpoint[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault();
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    private void OnConnectionRequest(ConnectionRequest request)
    {
        var remote = request.RemoteEndPoint.ToString();
        string? why = null;
        UdpHello? hello = null;
        try
        {
            hello = UdpSession.VerifyHello(SignedUdpHello.Parser.ParseFrom(request.Data.GetRemainingBytes()));
        }
        catch (InvalidProtocolBufferException)
        {
            why = "hello does not parse";
        }
        Member? member = null;
        if (why is null && hello is null)
        {
            why = "hello signature does not verify";
        }
        else if (hello is not null)
        {
            var from = NodeId.FromPublicKey(hello.From.Span);
            member = _mesh.Roster.Get(from);
            var age = _node.Time.GetUtcNow().ToUnixTimeMilliseconds() - hello.SentUnixMs;
            if (member is null)
            {
                why = "not a member";
            }
            else if (!hello.To.Span.SequenceEqual(_node.Identity.Id.PublicKey))
            {
                why = "hello addressed to another node";
            }
            else if (_mesh.MeshId is null || !hello.MeshId.Span.SequenceEqual(_mesh.MeshId))
            {
                why = "hello for another mesh";
            }
            else if (Math.Abs(age) > HelloMaxAge.TotalMilliseconds)
            {
                why = "hello too old or from the future";
            }
            else if (!_seenSalts.TryAdd(Convert.ToHexString(hello.SessionSalt.Span), _node.Time.GetUtcNow()))
            {
                why = "replayed hello";
            }
        }
        if (why is not null || member is null || hello is null)
        {
            MeshLog.UdpRefused(_logger, remote, why ?? "refused");
            request.RejectForce();
            return;
        }
        var crypto = UdpSession.Derive(_node.Identity, member.Id, member.Card.X25519Key.Span, hello.SessionSalt.Span, dialer: false);
        var peer = request.Accept();
        Register(member.Id, peer, crypto);
    }

    private void OnPeerConnected(NetPeer peer)
    {
        // Our own dial completed: which member it was for is known by the endpoint it went to (UdpDials
        // says why not by the member's link).
        if (_dialing.TryComplete(new IPEndPoint(peer.Address, peer.Port), out var id, out var session))
        {
            Register(id, peer, session);
        }
    }

    private void Register(NodeId id, NetPeer peer, UdpSession crypto)
    {
        if (_sessions.TryRemove(id, out var old))
        {
            _byPeerId.TryRemove(old.NetPeer.Id, out _);
            old.Crypto.Dispose();
        }
        _sessions[id] = new Session(id, peer, crypto);
        _byPeerId[peer.Id] = id;
        _unreachableSince.TryRemove(id, out _);
        MeshLog.UdpSessionUp(_logger, id.Text);
    }

    private void OnPeerDisconnected(NetPeer peer, DisconnectInfo info)
    {
        // LiteNetLib hands a closed peer's id to the next connection, and its events run on more than
        // one thread: the end of a replaced session (both sides dialed, or the peer dialed again) can be
        // reported after its successor, with the same id, registered. Only the current session's own
        // NetPeer ends it; a stale one changes nothing (it would leave a live link without UDP).
        if (!_byPeerId.TryGetValue(peer.Id, out var id) || !_sessions.TryGetValue(id, out var session) || !ReferenceEquals(session.NetPeer, peer))
        {
            return;
        }
        _byPeerId.TryRemove(new KeyValuePair<int, NodeId>(peer.Id, id));
        if (_sessions.TryRemove(new KeyValuePair<NodeId, Session>(id, session)))
        {
            session.Crypto.Dispose();
        }
        if (info.Reason is DisconnectReason.Timeout or DisconnectReason.HostUnreachable or DisconnectReason.NetworkUnreachable)
        {
            _unreachableSince[id] = _node.Time.GetUtcNow();
            MeshLog.PeerUnreachable(_logger, id.Text, info.Reason.ToString());
            // A member that stops answering loses its mesh link too; the connection manager retries with backoff.
            _engine.LinkTo(id)?.Close("unreachable: " + info.Reason);
        }
    }

    private void OnReceive(NetPeer peer, NetPacketReader reader, byte channel, DeliveryMethod method)
    {
        if (!_byPeerId.TryGetValue(peer.Id, out var id) || !_sessions.TryGetValue(id, out var session))
        {
            return; // not an authenticated session: dropped
        }
        var plaintext = session.Crypto.Open(reader.GetRemainingBytes());
        if (plaintext is null)
        {
            return; // forged, damaged or replayed: dropped
        }
        try
        {
            var message = UdpMessage.Parser.ParseFrom(plaintext);
            if (message.BodyCase == UdpMessage.BodyOneofCase.Ihave)
            {
                _engine.OnAnnounced(id, message.Ihave);
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // An authenticated peer sent garbage: ignore.
        }
    }

    private void Announce(IReadOnlyList<ValidatedRecord> records, NodeId peer)
    {
        var ihave = new IHave();
        foreach (var record in records)
        {
            ihave.Records.Add(new Head
            {
                Author = record.Header.Author,
                Channel = record.Header.Channel,
                Seq = record.Seq,
                Head_ = ByteString.CopyFrom(record.Id.Span),
            });
        }
        var plaintext = new UdpMessage { Ihave = ihave }.ToByteArray();
        if (_sessions.TryGetValue(peer, out var session))
        {
            session.NetPeer.Send(session.Crypto.Seal(plaintext), DeliveryMethod.ReliableOrdered);
            // LiteNetLib sends queued reliable packets on its logic thread's next update (every
            // UpdateTime, 15 ms by default); an announcement is worth sending now.
            _manager.TriggerUpdate();
        }
    }

    public void Dispose()
    {
        _manager.Stop();
        _dialing.Dispose();
        foreach (var session in _sessions.Values)
        {
            session.Crypto.Dispose();
        }
    }
}
