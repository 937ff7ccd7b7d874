using System.Collections.Concurrent;
using System.Net;
using I4C.Core.Crypto;
using I4C.Core.Identity;

namespace I4C.Node.Udp;

/// <summary>
/// The UDP sessions this node has dialed and LiteNetLib has not yet completed: for each member,
/// the session key derived for the dial, when it started and the endpoint it went to.
/// <para>
/// A completion is matched by the endpoint that was dialed, and by nothing else. In particular not
/// through the member's mesh link: by the time the peer answers, that link may be closed or
/// replaced (both sides dialed at once and the other side's link stayed) by one that does not know
/// the peer's UDP port yet. A completion missed that way left the peer holding its end of the
/// session while this side, no longer the dialer of the link, never dialed again.
/// </para>
/// Thread-safe: LiteNetLib raises its events on its own threads.
/// </summary>
internal sealed class UdpDials : IDisposable
{
    private readonly ConcurrentDictionary<NodeId, Dial> _dials = new();

    private sealed record Dial(UdpSession Session, DateTimeOffset Started, IPEndPoint Target);

    /// <summary>Dials not yet completed or given up.</summary>
    public int Count => _dials.Count;

    /// <summary>Whether a dial to the peer started less than <paramref name="patience"/> ago.</summary>
    public bool IsPending(NodeId peer, DateTimeOffset now, TimeSpan patience) =>
        _dials.TryGetValue(peer, out var dial) && now - dial.Started < patience;

    /// <summary>Records a dial to the peer at <paramref name="target"/>; an earlier dial to the same peer is dropped and its key disposed.</summary>
    public void Add(NodeId peer, UdpSession session, IPEndPoint target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(target);
        var dial = new Dial(session, now, Normalize(target));
        _dials.AddOrUpdate(peer, dial, (_, old) =>
        {
            if (!ReferenceEquals(old.Session, session))
            {
                old.Session.Dispose();
            }
            return dial;
        });
    }

    /// <summary>
    /// Takes the dial that went to <paramref name="remote"/> (a connection LiteNetLib completed), or
    /// returns false when this node dialed nothing there.
    /// </summary>
    public bool TryComplete(IPEndPoint remote, out NodeId peer, out UdpSession session)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var from = Normalize(remote);
        foreach (var (id, dial) in _dials)
        {
            if (dial.Target.Equals(from) && _dials.TryRemove(new KeyValuePair<NodeId, Dial>(id, dial)))
            {
                (peer, session) = (id, dial.Session);
                return true;
            }
        }
        (peer, session) = (null!, null!);
        return false;
    }

    /// <summary>Disposes the keys of the dials still pending (the node is stopping).</summary>
    public void Dispose()
    {
        foreach (var id in _dials.Keys)
        {
            if (_dials.TryRemove(id, out var dial))
            {
                dial.Session.Dispose();
            }
        }
    }

    // A dual-mode socket reports an IPv4 peer as ::ffff:a.b.c.d; a dial to a.b.c.d is the same endpoint.
    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
