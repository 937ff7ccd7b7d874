using Grpc.Net.Client;
using I4C.Core.Identity;
using I4C.Node.Hosting;
using I4C.Storage;
using Microsoft.Extensions.Logging;
using AdminClient = I4C.Protocol.V1.Admin.AdminClient;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>
/// One node hosted in the test process: a real <see cref="NodeHost"/> on 127.0.0.1:0 (admin and
/// mesh) with UDP port 0, a fresh data directory, a capturing log and an authenticated Admin
/// client. Disposing stops the node, deletes the directory, and fails the test if the node
/// logged an Error or Critical entry the test did not <see cref="TestLog.Expect"/>.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly TempDirectory? _ownedDirectory;
    private bool _disposed;

    private TestNode(NodeHost host, TestLog log, TempDirectory? ownedDirectory, GrpcChannel channel)
    {
        Host = host;
        Log = log;
        _ownedDirectory = ownedDirectory;
        Channel = channel;
        Admin = channel.Client();
    }

    public NodeHost Host { get; }

    public TestLog Log { get; }

    public DataDirectory Data => Host.Data;

    public string DataPath => Host.Data.Root;

    /// <summary>The authenticated Admin client.</summary>
    public AdminClient Admin { get; }

    public GrpcChannel Channel { get; }

    public string AdminToken => Host.Data.ReadAdminToken();

    public static NodeProfile DefaultProfile { get; } = new("City of Testville", "DE", MemberCategory.EuCity, Participation.Active);

    /// <summary>Options for a node on loopback with every port picked by the OS.</summary>
    public static NodeOptions OptionsFor(string dataDirectory, NodeProfile? profile = null) => new()
    {
        DataDirectory = dataDirectory,
        Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
        Admin = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
        Http = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
        UdpPort = 0,
        FirstStartProfile = profile ?? DefaultProfile,
        Mdns = false,
    };

    /// <summary>Starts a node in a fresh temp data directory; <paramref name="configure"/> may adjust the options.</summary>
    public static async Task<TestNode> StartAsync(Func<NodeOptions, NodeOptions>? configure = null, NodeProfile? profile = null, TimeProvider? time = null)
    {
        var directory = new TempDirectory();
        try
        {
            return await StartAsync(directory.Sub("node"), directory, configure, profile, time).ConfigureAwait(false);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Starts a node on an existing data directory that the caller owns (not deleted on dispose).</summary>
    public static Task<TestNode> StartInAsync(string dataDirectory, Func<NodeOptions, NodeOptions>? configure = null, NodeProfile? profile = null) =>
        StartAsync(dataDirectory, null, configure, profile, null);

    private static async Task<TestNode> StartAsync(string dataDirectory, TempDirectory? owned, Func<NodeOptions, NodeOptions>? configure, NodeProfile? profile, TimeProvider? time)
    {
        var log = new TestLog();
        var options = OptionsFor(dataDirectory, profile);
        if (configure is not null)
        {
            options = configure(options);
        }
        var host = await NodeHost.StartAsync(options, configureLogging: b => b.AddProvider(log), time: time).WithTimeout().ConfigureAwait(false);
        var channel = AdminChannels.Open(host.AdminUrl, host.Data.ReadAdminToken());
        return new TestNode(host, log, owned, channel);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            Channel.Dispose();
            await Host.DisposeAsync().AsTask().WithTimeout().ConfigureAwait(false);
        }
        finally
        {
            _ownedDirectory?.Dispose();
        }
        Log.AssertNoUnexpectedErrors();
    }
}
