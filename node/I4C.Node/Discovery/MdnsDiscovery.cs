using System.Net;
using I4C.Core.Identity;
using I4C.Node.Admin;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using Makaretu.Dns;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Discovery;

/// <summary>
/// Automatic federation on the LAN: advertises this node as a standard DNS-SD service
/// (_i4c._tcp, TXT keys id, mesh, udp, v) over mDNS and feeds the members it discovers into
/// the connection manager. Any ordinary mDNS browser sees the service. Identity is never
/// taken from mDNS: a discovered node is dialed with the certificate pin of the member it
/// claims to be, and a node that is not a member gets only the charter.
/// </summary>
internal sealed partial class MdnsDiscovery(LocalNode node, MeshState mesh, ConnectionManager connections, NodeRuntimeInfo runtime, NodeOptions options, ILogger<MdnsDiscovery> logger) : BackgroundService
{
    public const string ServiceType = "_i4c._tcp";
    private ServiceDiscovery? _discovery;
    private MulticastService? _multicast;
    private ServiceProfile? _profile;
    private string? _advertisedMesh;
    private TaskCompletionSource _rosterChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Instances discovered (for status and tests).</summary>
    public int Discovered { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Mdns)
        {
            return;
        }
        // Wait until the host has bound its listeners: the advertised port is the bound one.
        while (string.IsNullOrEmpty(runtime.MeshEndpoint) && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), node.Time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        try
        {
            _multicast = new MulticastService();
            _discovery = new ServiceDiscovery(_multicast) { AnswersContainsAdditionalRecords = true };
            _discovery.ServiceInstanceDiscovered += OnDiscovered;
            _multicast.Start();
        }
        catch (Exception ex)
        {
            LogMdnsUnavailable(logger, ex.Message);
            return;
        }
        // A charter adopted (or any roster change) is advertised and queried for at once, and the
        // query backoff starts over: otherwise a node that adopts stays invisible to the mesh, and
        // blind to it, until the next tick of a backoff that has grown to 10 s since it started.
        mesh.RosterChanged += OnRosterChanged;
        var query = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var changed = Volatile.Read(ref _rosterChanged);
                Advertise();
                if (mesh.HasMesh)
                {
                    _discovery.QueryServiceInstances(ServiceType);
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(query, node.Time, wait.Token);
                if (await Task.WhenAny(delay, changed.Task).ConfigureAwait(false) == changed.Task)
                {
                    await wait.CancelAsync().ConfigureAwait(false);
                    Interlocked.CompareExchange(ref _rosterChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), changed);
                    query = TimeSpan.FromSeconds(1);
                    continue;
                }
                await delay.ConfigureAwait(false);
                query = TimeSpan.FromSeconds(Math.Min(10, query.TotalSeconds * 2));
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex)
            {
                // Discovery is best effort: seeds and card endpoints keep working without it.
                LogMdnsUnavailable(logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), node.Time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private void Advertise()
    {
        var meshId = mesh.MeshId is { } id ? Convert.ToHexStringLower(id) : string.Empty;
        if (_profile is not null && meshId == _advertisedMesh)
        {
            return;
        }
        if (_profile is not null)
        {
            _discovery!.Unadvertise(_profile);
        }
        var port = ushort.Parse(runtime.MeshEndpoint[(runtime.MeshEndpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        // The addresses of the interfaces Makaretu answers on (null: all of them), unless the
        // node listens on one address only.
        IEnumerable<IPAddress>? addresses = options.Listen.Address.Equals(IPAddress.Any) || options.Listen.Address.Equals(IPAddress.IPv6Any)
            ? null
            : [options.Listen.Address];
        var profile = new ServiceProfile(node.Identity.Id.Text[..16], ServiceType, port, addresses);
        profile.AddProperty("id", node.Identity.Id.Text);
        profile.AddProperty("mesh", meshId);
        profile.AddProperty("udp", runtime.UdpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        profile.AddProperty("v", "1");
        _discovery!.Advertise(profile);
        _discovery.Announce(profile);
        _profile = profile;
        _advertisedMesh = meshId;
    }

    private void OnRosterChanged(Core.Membership.Roster roster) => Volatile.Read(ref _rosterChanged).TrySetResult();

    private void OnDiscovered(object? sender, ServiceInstanceDiscoveryEventArgs e)
    {
        try
        {
            var records = e.Message.Answers.Concat(e.Message.AdditionalRecords).ToList();
            var txt = records.OfType<TXTRecord>().Where(t => t.Name == e.ServiceInstanceName).SelectMany(t => t.Strings)
                .Select(s => s.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
            if (!txt.TryGetValue("id", out var idText) || !NodeId.TryParse(idText, out var id) || id!.Equals(node.Identity.Id))
            {
                return;
            }
            var ours = mesh.MeshId is { } meshId ? Convert.ToHexStringLower(meshId) : null;
            if (ours is null || txt.GetValueOrDefault("mesh") != ours)
            {
                return; // another mesh, or none: nothing to dial
            }
            var srv = records.OfType<SRVRecord>().FirstOrDefault(s => s.Name == e.ServiceInstanceName);
            if (srv is null)
            {
                return;
            }
            var addresses = records.OfType<AddressRecord>().Where(a => a.Name == srv.Target).Select(a => a.Address)
                .Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)).ToList();
            if (addresses.Count == 0)
            {
                addresses = records.OfType<AddressRecord>().Where(a => a.Name == srv.Target).Select(a => a.Address)
                    .Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).ToList();
            }
            foreach (var address in addresses)
            {
                var endpoint = $"{address}:{srv.Port}";
                connections.AddCandidate(endpoint, id);
                Discovered++;
                LogDiscovered(logger, id.Text, endpoint);
            }
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            LogMdnsUnavailable(logger, "malformed mDNS answer: " + ex.Message);
        }
    }

    public override void Dispose()
    {
        mesh.RosterChanged -= OnRosterChanged;
        try
        {
            if (_profile is not null)
            {
                _discovery?.Unadvertise(_profile);
            }
            _discovery?.Dispose();
            _multicast?.Stop();
            _multicast?.Dispose();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Shutting down.
        }
        base.Dispose();
    }

    [LoggerMessage(EventId = 2500, EventName = "MdnsDiscovered", Level = LogLevel.Debug, Message = "mDNS: member {NodeId} at {Endpoint}")]
    private static partial void LogDiscovered(ILogger logger, string nodeId, string endpoint);

    [LoggerMessage(EventId = 2501, EventName = "MdnsUnavailable", Level = LogLevel.Warning, Message = "mDNS discovery unavailable: {Why}")]
    private static partial void LogMdnsUnavailable(ILogger logger, string why);
}
