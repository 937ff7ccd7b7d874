using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>One host of a lab: a network namespace with one veth into the lab's bridge.</summary>
/// <param name="Index">0-based host number.</param>
/// <param name="Namespace">The network namespace, e.g. i4c-3fa9c2-n0.</param>
/// <param name="HostVeth">The veth end on the bridge (in the root namespace); set it down to cut the host off.</param>
/// <param name="PeerVeth">The veth end inside the namespace, carrying <paramref name="Address"/>.</param>
/// <param name="Address">The host's IPv4 address, e.g. 10.77.142.1.</param>
public sealed record NetnsHost(int Index, string Namespace, string HostVeth, string PeerVeth, string Address);

/// <summary>
/// A small LAN of network namespaces: a Linux bridge (multicast snooping off, so mDNS reaches
/// every port) and one namespace per host joined to it by a veth pair, addressed
/// 10.77.X.1..n/24 with X chosen per run. Every name carries a random tag, so concurrent runs
/// never collide. <see cref="Dispose"/> kills whatever still runs inside the namespaces and
/// deletes namespaces, veths and bridge; it is also run when the test process exits early.
/// </summary>
public sealed class NetnsLab : IDisposable
{
    private readonly Timeline _log;
    private readonly List<NetnsHost> _hosts = [];
    private readonly List<string> _namespaces = [];
    private readonly List<string> _veths = [];
    private readonly IDisposable _exitHook;
    private bool _bridgeMade;
    private bool _disposed;

    private NetnsLab(string tag, int octet, Timeline log)
    {
        Tag = tag;
        Octet = octet;
        Bridge = "i4cbr" + tag;
        _log = log;
        _exitHook = EmergencyCleanup.Register(() => Cleanup());
    }

    /// <summary>The run's random tag (6 hex digits) in every name.</summary>
    public string Tag { get; }

    /// <summary>The third octet of the lab's 10.77.X.0/24.</summary>
    public int Octet { get; }

    /// <summary>The address prefix of the lab's hosts, e.g. "10.77.142.".</summary>
    public string Prefix => $"10.77.{Octet}.";

    public string Bridge { get; }

    public IReadOnlyList<NetnsHost> Hosts => _hosts;

    /// <summary>Builds a lab of <paramref name="count"/> hosts; fails with a clear message when not root or without iproute2.</summary>
    public static async Task<NetnsLab> CreateAsync(int count, Timeline log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Preflight();
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var lab = new NetnsLab(tag, PickOctet(), log);
        try
        {
            await lab.BuildAsync(count).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var leftovers = lab.Cleanup();
            throw new InvalidOperationException($"Building the network namespaces of lab {tag} failed: {ex.Message}" +
                (leftovers.Count == 0 ? string.Empty : Environment.NewLine + "Cleanup problems: " + string.Join("; ", leftovers)), ex);
        }
        log.Step($"lab {tag}: bridge {lab.Bridge}, {count} namespaces on {lab.Prefix}0/24: {string.Join(", ", lab.Hosts.Select(h => $"{h.Namespace}={h.Address}"))}");
        return lab;
    }

    /// <summary>Sets the bridge-side veth of host <paramref name="index"/> up or down (down: the host is cut off the LAN).</summary>
    public async Task SetLinkAsync(int index, bool up)
    {
        var host = _hosts[index];
        await IpAsync("link", "set", "dev", host.HostVeth, up ? "up" : "down").ConfigureAwait(false);
        _log.Step($"link of {host.Namespace} ({host.Address}) set {(up ? "UP" : "DOWN")} at {host.HostVeth}");
    }

    /// <summary>The state of the bridge and of every host's interfaces, for failure messages.</summary>
    public string Describe()
    {
        var lines = new List<string> { Run("ip", "-br", "link", "show", "master", Bridge) };
        foreach (var host in _hosts)
        {
            lines.Add($"{host.Namespace}: " + Run("ip", "-n", host.Namespace, "-br", "addr").Replace("\n", " | ", StringComparison.Ordinal));
        }
        return string.Join(Environment.NewLine, lines);

        static string Run(params string[] args)
        {
            try
            {
                var r = Proc.Run(args[0], args[1..], TimeSpan.FromSeconds(10));
                return (r.Stdout + r.Stderr).Trim();
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                return ex.Message;
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        var leftovers = Cleanup();
        _disposed = true;
        _exitHook.Dispose();
        if (leftovers.Count > 0)
        {
            throw new InvalidOperationException($"Lab {Tag} was not cleaned up completely: {string.Join("; ", leftovers)}");
        }
        _log.Step($"lab {Tag}: namespaces, veths and bridge deleted");
    }

    /// <summary>Fails with a clear message unless this is Linux, running as root, with a working `ip netns`.</summary>
    public static void Preflight()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("The multi-host tests need Linux network namespaces (ip netns); this is not Linux.");
        }
        var euid = EffectiveUid();
        if (euid != 0)
        {
            throw new InvalidOperationException($"The multi-host tests build network namespaces and need root, but the effective uid is {euid}. " +
                "CI runs them as root; run `dotnet test` as root, or leave them out with --filter \"Category!=MultiHost\".");
        }
        ProcResult list;
        try
        {
            list = Proc.Run("ip", ["netns", "list"], TimeSpan.FromSeconds(10));
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"iproute2 is not installed (`ip` cannot be run: {ex.Message}). Install it: apt-get update && apt-get install -y iproute2", ex);
        }
        if (!list.Ok)
        {
            throw new InvalidOperationException($"`ip netns list` fails, so network namespaces cannot be used here: {list}");
        }
    }

    private static int EffectiveUid()
    {
        // "Uid:	real	effective	saved	fs"
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    /// <summary>A random third octet for 10.77.X.0/24 that the root namespace does not use.</summary>
    private static int PickOctet()
    {
        var used = Proc.Run("ip", ["-4", "-o", "addr"], TimeSpan.FromSeconds(10)).Stdout + Proc.Run("ip", ["-4", "route"], TimeSpan.FromSeconds(10)).Stdout;
        for (var attempt = 0; ; attempt++)
        {
            var octet = RandomNumberGenerator.GetInt32(16, 250);
            if (!used.Contains($"10.77.{octet}.", StringComparison.Ordinal) || attempt > 50)
            {
                return octet;
            }
        }
    }

    private async Task BuildAsync(int count)
    {
        // Each resource is recorded before it is made, so a failure half-way still deletes it.
        _bridgeMade = true;
        await IpAsync("link", "add", "name", Bridge, "type", "bridge", "forward_delay", "0", "mcast_snooping", "0").ConfigureAwait(false);
        await IpAsync("link", "set", "dev", Bridge, "type", "bridge", "mcast_snooping", "0").ConfigureAwait(false);
        await IpAsync("link", "set", "dev", Bridge, "up").ConfigureAwait(false);
        var details = await IpAsync("-d", "link", "show", "dev", Bridge).ConfigureAwait(false);
        if (!details.Contains("mcast_snooping 0", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"bridge {Bridge} still snoops multicast (mDNS would not cross it): {details}");
        }
        for (var i = 0; i < count; i++)
        {
            var host = new NetnsHost(i, $"i4c-{Tag}-n{i}", $"i4c{Tag}h{i}", $"i4c{Tag}p{i}", $"10.77.{Octet}.{i + 1}");
            _namespaces.Add(host.Namespace);
            await IpAsync("netns", "add", host.Namespace).ConfigureAwait(false);
            _veths.Add(host.HostVeth);
            await IpAsync("link", "add", "name", host.HostVeth, "type", "veth", "peer", "name", host.PeerVeth).ConfigureAwait(false);
            await IpAsync("link", "set", "dev", host.PeerVeth, "netns", host.Namespace).ConfigureAwait(false);
            await IpAsync("link", "set", "dev", host.HostVeth, "master", Bridge).ConfigureAwait(false);
            await IpAsync("link", "set", "dev", host.HostVeth, "up").ConfigureAwait(false);
            await IpAsync("-n", host.Namespace, "link", "set", "dev", "lo", "up").ConfigureAwait(false);
            await IpAsync("-n", host.Namespace, "addr", "add", $"{host.Address}/24", "dev", host.PeerVeth).ConfigureAwait(false);
            await IpAsync("-n", host.Namespace, "link", "set", "dev", host.PeerVeth, "up").ConfigureAwait(false);
            _hosts.Add(host);
        }
    }

    private static async Task<string> IpAsync(params string[] args)
    {
        var result = await Proc.RunAsync("ip", args, TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new InvalidOperationException($"`{result.Command}` failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
        }
        return result.Stdout;
    }

    /// <summary>
    /// Deletes everything this lab made; never throws. Returns what is still there afterwards.
    /// Processes still inside the lab's namespaces (only this lab starts any there) are SIGKILLed
    /// first, so no namespace lingers after its name is gone.
    /// </summary>
    private List<string> Cleanup()
    {
        var problems = new List<string>();
        void Try(Action action, string what)
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                problems.Add($"{what}: {ex.Message}");
            }
        }
        foreach (var ns in _namespaces)
        {
            Try(() =>
            {
                var pids = Proc.Run("ip", ["netns", "pids", ns], TimeSpan.FromSeconds(10)).Stdout;
                foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    try
                    {
                        using var process = Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture));
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit(5000);
                    }
                    catch (ArgumentException)
                    {
                        // Already gone.
                    }
                }
            }, $"killing the processes in {ns}");
        }
        foreach (var veth in _veths)
        {
            Try(() => Proc.Run("ip", ["link", "del", "dev", veth], TimeSpan.FromSeconds(10)), $"deleting {veth}");
        }
        foreach (var ns in _namespaces)
        {
            Try(() => Proc.Run("ip", ["netns", "del", ns], TimeSpan.FromSeconds(10)), $"deleting {ns}");
        }
        if (_bridgeMade)
        {
            Try(() => Proc.Run("ip", ["link", "del", "dev", Bridge], TimeSpan.FromSeconds(10)), $"deleting {Bridge}");
        }
        Try(() =>
        {
            var namespaces = Proc.Run("ip", ["netns", "list"], TimeSpan.FromSeconds(10)).Stdout;
            var links = Proc.Run("ip", ["-o", "link"], TimeSpan.FromSeconds(10)).Stdout;
            foreach (var ns in _namespaces.Where(ns => namespaces.Split('\n').Any(l => l.Split(' ')[0] == ns)))
            {
                problems.Add($"namespace {ns} still exists");
            }
            if (links.Contains(Tag, StringComparison.Ordinal))
            {
                problems.Add($"links named after {Tag} still exist: {string.Join(" | ", links.Split('\n').Where(l => l.Contains(Tag, StringComparison.Ordinal)))}");
            }
        }, "checking the cleanup");
        return problems;
    }
}
