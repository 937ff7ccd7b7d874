using I4C.Node.Hosting;
using LiteNetLib;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Udp;

/// <summary>
/// The UDP control plane (LiteNetLib): liveness, RTT and lazy announcements between
/// members. Every connection must be authenticated as a member; until this node has a
/// member roster (a mesh), no request can be, so every one is refused and unconnected
/// datagrams are dropped.
/// </summary>
internal sealed class ControlPlane : IDisposable
{
    private readonly EventBasedNetListener _listener = new();
    private readonly NetManager _manager;
    private readonly ILogger _logger;

    public ControlPlane(ILogger<ControlPlane> logger)
    {
        _logger = logger;
        _manager = new NetManager(_listener)
        {
            UnsyncedEvents = true,
            UnconnectedMessagesEnabled = false,
            AutoRecycle = true,
        };
        _listener.ConnectionRequestEvent += request =>
        {
            NodeLog.UdpDatagramDropped(_logger, request.RemoteEndPoint.ToString());
            request.RejectForce();
        };
    }

    /// <summary>The bound UDP port.</summary>
    public int Port => _manager.LocalPort;

    public void Start(int port)
    {
        if (!_manager.Start(port))
        {
            throw new NodeOptionsException($"--udp {port}: cannot bind the UDP port (in use?). Pick another or use 0 for any free port.");
        }
    }

    public void Dispose() => _manager.Stop();
}
