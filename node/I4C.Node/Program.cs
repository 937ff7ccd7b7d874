using I4C.Node.Hosting;
using I4C.Storage;

namespace I4C.Node;

/// <summary>i4c-node: runs one city's node until SIGTERM or Ctrl+C.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(NodeOptionsLoader.Usage);
            return 0;
        }
        NodeOptions options;
        try
        {
            options = NodeOptionsLoader.Load(args);
        }
        catch (NodeOptionsException ex)
        {
            await Console.Error.WriteLineAsync("i4c-node: " + ex.Message).ConfigureAwait(false);
            return 2;
        }
        try
        {
            await using var host = await NodeHost.StartAsync(options).ConfigureAwait(false);
            await host.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        }
        catch (Exception ex) when (ex is NodeOptionsException or DataDirectoryException)
        {
            await Console.Error.WriteLineAsync("i4c-node: " + ex.Message).ConfigureAwait(false);
            return ex is NodeOptionsException ? 2 : 3;
        }
    }
}
