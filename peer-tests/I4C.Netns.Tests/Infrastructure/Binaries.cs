using System.Reflection;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>Where the built node and CLI are: their own build output, else the copies next to this test assembly.</summary>
public static class Binaries
{
    public static string Node => Find("node/I4C.Node", "i4c-node");

    public static string Cli => Find("tools/I4C.Cli", "i4c");

    private static string Find(string project, string assembly)
    {
        var configuration = typeof(Binaries).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "I4C.Node.sln")))
            {
                var built = Path.Combine(dir.FullName, project, "bin", configuration, "net10.0", assembly + ".dll");
                if (File.Exists(built) && File.Exists(Path.ChangeExtension(built, ".runtimeconfig.json")))
                {
                    return built;
                }
                break;
            }
        }
        var local = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
        if (File.Exists(local) && File.Exists(Path.Combine(AppContext.BaseDirectory, assembly + ".runtimeconfig.json")))
        {
            return local;
        }
        throw new FileNotFoundException($"{assembly}.dll is not built: neither {project}/bin/{configuration}/net10.0 nor {AppContext.BaseDirectory} holds it with its runtimeconfig. Build the solution first (dotnet build I4C.Node.sln).");
    }
}
