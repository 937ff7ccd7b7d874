using System.Runtime.InteropServices;

namespace I4C.Benchmarks.Shared;

/// <summary>
/// What a reader needs to compare numbers taken on different machines. The file system of
/// the temporary directory matters: every durable commit is an fsync there.
/// </summary>
public sealed record MachineInfo(string Os, string Cpu, int Cores, string Runtime, string TempDirectory, string TempFileSystem, string LoadAverage)
{
    public static MachineInfo Current()
    {
        var temp = Path.GetTempPath();
        return new(RuntimeInformation.OSDescription, CpuModel(), Environment.ProcessorCount, RuntimeInformation.FrameworkDescription,
            temp, FileSystemOf(temp), LoadAverageNow());
    }

    /// <summary>
    /// The 1, 5 and 15 minute load averages (/proc/loadavg) when the suite ends: on a small
    /// machine, other work running beside the benchmark shows up here and in the spread.
    /// </summary>
    public static string LoadAverageNow()
    {
        const string loadavg = "/proc/loadavg";
        return File.Exists(loadavg) ? string.Join(' ', File.ReadAllText(loadavg).Split(' ').Take(3)) : "unknown";
    }

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo))
        {
            var line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>"ext4 on /dev/vda" from /proc/mounts (the longest mount point containing the path); "unknown" elsewhere.</summary>
    private static string FileSystemOf(string path)
    {
        const string mounts = "/proc/mounts";
        if (!File.Exists(mounts))
        {
            return "unknown";
        }
        var full = Path.GetFullPath(path);
        var best = File.ReadLines(mounts)
            .Select(l => l.Split(' '))
            .Where(f => f.Length >= 3 && (full == f[1] || full.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
            .MaxBy(f => f[1].Length);
        return best is null ? "unknown" : $"{best[2]} on {best[0]}";
    }
}
