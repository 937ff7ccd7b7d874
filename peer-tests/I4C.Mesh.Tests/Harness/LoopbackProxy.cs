using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace I4C.Mesh.Tests.Harness;

/// <summary>
/// A TCP forwarder on 127.0.0.1:0 to one target endpoint, for fault injection between
/// nodes: <see cref="Cut"/> resets every forwarded connection and refuses new ones until
/// <see cref="Heal"/>; <see cref="Delay"/> holds each chunk before forwarding it. It
/// forwards TLS bytes untouched, so the nodes' mutual TLS and pins work through it.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Upstream)> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private volatile bool _cut;
    private int _nextId;
    private long _bytes;
    private int _accepted;
    private int _refused;

    public LoopbackProxy(string target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        Target = target;
        var colon = target.LastIndexOf(':');
        TargetHost = target[..colon].Trim('[', ']');
        TargetPort = int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _listener.Start();
        Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where to connect instead of <see cref="Target"/>: "127.0.0.1:port".</summary>
    public string Endpoint { get; }

    /// <summary>The endpoint forwarded to.</summary>
    public string Target { get; }

    private string TargetHost { get; }

    private int TargetPort { get; }

    public bool IsCut => _cut;

    /// <summary>Held before each forwarded chunk, in both directions. Zero (the default) forwards at once.</summary>
    public TimeSpan Delay { get; set; }

    public long BytesForwarded => Interlocked.Read(ref _bytes);

    public int Accepted => Volatile.Read(ref _accepted);

    public int Refused => Volatile.Read(ref _refused);

    public int OpenConnections => _connections.Count;

    /// <summary>Resets every connection through the proxy and refuses new ones.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var (id, pair) in _connections)
        {
            if (_connections.TryRemove(id, out _))
            {
                Reset(pair.Client);
                Reset(pair.Upstream);
            }
        }
    }

    /// <summary>Accepts and forwards connections again.</summary>
    public void Heal() => _cut = false;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_cut)
            {
                Interlocked.Increment(ref _refused);
                Reset(client);
                continue;
            }
            Interlocked.Increment(ref _accepted);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        var id = Interlocked.Increment(ref _nextId);
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                connect.CancelAfter(TimeSpan.FromSeconds(5));
                await upstream.ConnectAsync(TargetHost, TargetPort, connect.Token).ConfigureAwait(false);
            }
            _connections[id] = (client, upstream);
            if (_cut)
            {
                throw new IOException("cut while connecting");
            }
            var a = PumpAsync(client.GetStream(), upstream.GetStream());
            var b = PumpAsync(upstream.GetStream(), client.GetStream());
            await Task.WhenAny(a, b).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            _connections.TryRemove(id, out _);
            Reset(client);
            Reset(upstream);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, _stop.Token).ConfigureAwait(false);
                }
                if (_cut)
                {
                    return;
                }
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
                Interlocked.Add(ref _bytes, n);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes with a TCP reset, as a crashed host or a dropped route looks to the peer.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        client.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Cut();
        await _acceptLoop.Within(Timeouts.Call, "the proxy's accept loop").ConfigureAwait(false);
        _stop.Dispose();
    }
}
