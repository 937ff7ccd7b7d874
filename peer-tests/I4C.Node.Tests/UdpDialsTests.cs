using System.Net;
using I4C.Core.Crypto;
using I4C.Core.Identity;
using I4C.Node.Udp;

namespace I4C.Node.Tests;

/// <summary>
/// The UDP dials a node has made and LiteNetLib has not yet completed. A completion is matched by
/// the endpoint dialed, whatever became of the member's mesh link meanwhile: a netns run once lost a
/// session because the match went through a link that had just been replaced by one that did not
/// know the peer's UDP port yet (commit 1313a44).
/// </summary>
[Trait("Category", "Unit")]
public sealed class UdpDialsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly NodeIdentity _self = NodeIdentity.Create();
    private readonly NodeIdentity _y = NodeIdentity.Create();
    private readonly NodeIdentity _z = NodeIdentity.Create();
    private readonly List<UdpSession> _sessions = [];

    public void Dispose()
    {
        foreach (var session in _sessions)
        {
            session.Dispose();
        }
        _self.Dispose();
        _y.Dispose();
        _z.Dispose();
    }

    [Fact]
    public void TryComplete_TheEndpointDialed_GivesThatMembersSessionAndTakesTheDial()
    {
        // Arrange: dials to two members, on the same host, at different UDP ports.
        using var dials = new UdpDials();
        var toY = Session(_y);
        var toZ = Session(_z);
        dials.Add(_y.Id, toY, new IPEndPoint(IPAddress.Loopback, 41000), Now);
        dials.Add(_z.Id, toZ, new IPEndPoint(IPAddress.Loopback, 41001), Now);

        // Act: Z answers first, then Y.
        var zMatched = dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41001), out var zPeer, out var zSession);
        var yMatched = dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41000), out var yPeer, out var ySession);

        // Assert: each completion names the member dialed there, with the key derived for that dial.
        Assert.True(zMatched);
        Assert.Equal(_z.Id, zPeer);
        Assert.Same(toZ, zSession);
        Assert.True(yMatched);
        Assert.Equal(_y.Id, yPeer);
        Assert.Same(toY, ySession);
        Assert.Equal(0, dials.Count);
    }

    [Fact]
    public void TryComplete_AnEndpointNotDialed_MatchesNothingAndKeepsThePendingDial()
    {
        // Arrange
        using var dials = new UdpDials();
        dials.Add(_y.Id, Session(_y), new IPEndPoint(IPAddress.Loopback, 41000), Now);

        // Act: the same host at another port, and another host at the dialed port.
        var otherPort = dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41002), out _, out _);
        var otherHost = dials.TryComplete(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 41000), out _, out _);

        // Assert
        Assert.False(otherPort);
        Assert.False(otherHost);
        Assert.Equal(1, dials.Count);
        Assert.True(dials.IsPending(_y.Id, Now, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void TryComplete_ADualModeSocketsMappedAddress_MatchesTheIPv4Dial()
    {
        // Arrange: LiteNetLib's dual-mode socket can report 127.0.0.1 as ::ffff:127.0.0.1.
        using var dials = new UdpDials();
        var toY = Session(_y);
        dials.Add(_y.Id, toY, new IPEndPoint(IPAddress.Loopback, 41000), Now);

        // Act
        var matched = dials.TryComplete(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 41000), out var peer, out var session);

        // Assert
        Assert.True(matched);
        Assert.Equal(_y.Id, peer);
        Assert.Same(toY, session);
    }

    [Fact]
    public void TryComplete_AfterTheMemberIsDialedAgainElsewhere_OnlyTheNewEndpointMatches()
    {
        // Arrange: Y's first dial went unanswered; the next tick dials Y where its card now says.
        using var dials = new UdpDials();
        var first = Session(_y);
        var second = Session(_y);
        dials.Add(_y.Id, first, new IPEndPoint(IPAddress.Loopback, 41000), Now);
        dials.Add(_y.Id, second, new IPEndPoint(IPAddress.Loopback, 41005), Now.AddSeconds(6));

        // Act: a late answer from the old endpoint, then the answer from the new one.
        var late = dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41000), out _, out _);
        var current = dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41005), out var peer, out var session);

        // Assert: the replaced dial's key is gone (disposed), the new one is handed over.
        Assert.False(late);
        Assert.True(current);
        Assert.Equal(_y.Id, peer);
        Assert.Same(second, session);
        Assert.Throws<ObjectDisposedException>(() => first.Seal([1, 2, 3]));
        Assert.NotEmpty(second.Seal([1, 2, 3]));
    }

    [Fact]
    public void IsPending_UntilThePatienceRunsOut_ThenTheNextTickMayDialAgain()
    {
        // Arrange
        using var dials = new UdpDials();
        var patience = TimeSpan.FromSeconds(5);
        dials.Add(_y.Id, Session(_y), new IPEndPoint(IPAddress.Loopback, 41000), Now);

        // Act
        var early = dials.IsPending(_y.Id, Now.AddSeconds(4.9), patience);
        var late = dials.IsPending(_y.Id, Now.AddSeconds(5), patience);
        var other = dials.IsPending(_z.Id, Now, patience);

        // Assert
        Assert.True(early);
        Assert.False(late);
        Assert.False(other);
    }

    [Fact]
    public void Dispose_DisposesTheKeysOfDialsStillPending()
    {
        // Arrange
        var dials = new UdpDials();
        var pending = Session(_y);
        var completed = Session(_z);
        dials.Add(_y.Id, pending, new IPEndPoint(IPAddress.Loopback, 41000), Now);
        dials.Add(_z.Id, completed, new IPEndPoint(IPAddress.Loopback, 41001), Now);
        Assert.True(dials.TryComplete(new IPEndPoint(IPAddress.Loopback, 41001), out _, out _));

        // Act
        dials.Dispose();

        // Assert: the pending dial's key is disposed; the completed one now belongs to its session.
        Assert.Equal(0, dials.Count);
        Assert.Throws<ObjectDisposedException>(() => pending.Seal([1]));
        Assert.NotEmpty(completed.Seal([1]));
    }

    private UdpSession Session(NodeIdentity peer)
    {
        var session = UdpSession.Derive(_self, peer.Id, peer.AgreementPublicKey, new byte[32], dialer: true);
        _sessions.Add(session);
        return session;
    }
}
