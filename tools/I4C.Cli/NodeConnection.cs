using Grpc.Core;
using Grpc.Net.Client;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Cli;

/// <summary>Finds the running node of a data directory (admin.endpoint + admin.token) and opens an Admin client.</summary>
public sealed class NodeConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    private NodeConnection(GrpcChannel channel, Protocol.V1.Admin.AdminClient client, string address)
    {
        _channel = channel;
        Client = client;
        Address = address;
    }

    public Protocol.V1.Admin.AdminClient Client { get; }

    public string Address { get; }

    public static NodeConnection Open(DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!Directory.Exists(data.Root))
        {
            throw new CliException(ExitCodes.DataDirectory, $"{data.Root} does not exist. Create a node there first: i4c init --data {data.Root} --name \"City of …\" --country XX --category eu-city");
        }
        var endpoint = data.ReadEndpoint()
            ?? throw new CliException(ExitCodes.NodeNotRunning, $"no node is running for {data.Root} (no {DataDirectory.EndpointFileName}). Start it: i4c-node --data {data.Root}");
        if (!IsAlive(endpoint.Pid))
        {
            throw new CliException(ExitCodes.NodeNotRunning, $"the node for {data.Root} is not running (process {endpoint.Pid} is gone). Start it: i4c-node --data {data.Root}");
        }
        string token;
        try
        {
            token = data.ReadAdminToken();
        }
        catch (DataDirectoryException ex)
        {
            throw new CliException(ExitCodes.DataDirectory, ex.Message);
        }
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
        var channel = GrpcChannel.ForAddress(endpoint.Admin, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        return new NodeConnection(channel, new Protocol.V1.Admin.AdminClient(channel), endpoint.Admin);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Call options with a deadline, so a hung node never hangs the CLI.</summary>
    public static CallOptions Options(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new(deadline: DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30)), cancellationToken: cancellationToken);

    public void Dispose() => _channel.Dispose();
}
