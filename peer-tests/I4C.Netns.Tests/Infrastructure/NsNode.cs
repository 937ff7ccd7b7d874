using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using I4C.Storage;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>
/// A real <c>i4c-node</c> process inside one lab namespace (<c>ip netns exec NS dotnet i4c-node.dll …</c>,
/// which execs, so the process id is the node's), and the <c>i4c</c> CLI run in the same namespace
/// against its data directory (the CLI finds the admin endpoint on the namespace's own loopback).
/// Its stdout and stderr are kept for failure messages; <see cref="Kill"/> is SIGKILL.
/// </summary>
public sealed class NsNode
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private bool _killed;

    private NsNode(NetnsHost host, string label, string dataDirectory, Process process)
    {
        Host = host;
        Label = label;
        DataDirectory = dataDirectory;
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public NetnsHost Host { get; }

    /// <summary>Short name in messages: n0, n1, …</summary>
    public string Label { get; }

    public string DataDirectory { get; }

    /// <summary>The node id, once the card was exported.</summary>
    public string NodeId { get; set; } = string.Empty;

    /// <summary>Everything the process wrote so far.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>The last few results of CLI runs, newest last (for failure messages).</summary>
    public ConcurrentQueue<string> RecentCli { get; } = new();

    /// <summary>Starts the node in <paramref name="host"/>'s namespace; it is ready once <see cref="WaitReadyAsync"/> returns.</summary>
    public static NsNode Start(NetnsHost host, string dataDirectory, string name, string country, IEnumerable<string> nodeArgs)
    {
        ArgumentNullException.ThrowIfNull(host);
        var args = new List<string> { "netns", "exec", host.Namespace, Proc.DotnetHost(), Binaries.Node, "--data", dataDirectory };
        args.AddRange(nodeArgs);
        args.AddRange(["--name", name, "--country", country, "--category", "eu-city"]);
        var process = new Process { StartInfo = Proc.StartInfo("ip", args) };
        var node = new NsNode(host, "n" + host.Index, dataDirectory, process);
        node.Keep("$ " + Proc.Describe(process.StartInfo));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits until the node has written DATA/admin.endpoint naming its own process id.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var data = new DataDirectory(DataDirectory);
        await Retry.UntilAsync(() =>
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the output readers, so the message has the node's last words
                throw new InvalidOperationException($"{Label}: i4c-node exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{Output}");
            }
            return Task.FromResult(data.ReadEndpoint()?.Pid == _process.Id ? null : $"{Label} has not written {DataDirectory}/{I4C.Storage.DataDirectory.EndpointFileName}");
        }, timeout, $"{Label} (pid {_process.Id}, in {Host.Namespace}) to start", TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
    }

    /// <summary>Runs <c>i4c --data DIR ARGS</c> inside the node's namespace.</summary>
    public async Task<ProcResult> CliAsync(params string[] args)
    {
        var all = new List<string> { "netns", "exec", Host.Namespace, Proc.DotnetHost(), Binaries.Cli, "--data", DataDirectory };
        all.AddRange(args);
        var result = await Proc.RunAsync("ip", all, TestTimeouts.Command).ConfigureAwait(false);
        RecentCli.Enqueue($"[{_clock.Elapsed.TotalSeconds:0.0}s] {result}");
        while (RecentCli.Count > 6)
        {
            RecentCli.TryDequeue(out _);
        }
        return result;
    }

    /// <summary>Runs the CLI with <c>--json</c>, requires exit code 0 and returns the parsed output.</summary>
    public async Task<JsonNode> CliJsonAsync(params string[] args)
    {
        var result = await CliAsync([.. args, "--json"]).ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new InvalidOperationException($"{Label}: {result}");
        }
        try
        {
            return JsonNode.Parse(result.Stdout) ?? throw new InvalidOperationException($"{Label}: empty JSON from {result}");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidOperationException($"{Label}: not JSON ({ex.Message}): {result}", ex);
        }
    }

    /// <summary>The ids of the records the node holds (feed, newest first).</summary>
    public async Task<HashSet<string>> RecordIdsAsync()
    {
        var feed = await CliJsonAsync("feed", "--limit", "1000").ConfigureAwait(false);
        return feed["records"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The node's `i4c peers --json` rows.</summary>
    public async Task<List<PeerView>> PeersAsync()
    {
        var peers = await CliJsonAsync("peers").ConfigureAwait(false);
        return peers["peers"]!.AsArray().Select(p => new PeerView(
            p!["nodeId"]!.GetValue<string>(),
            p["name"]!.GetValue<string>(),
            p["endpoint"]!.GetValue<string>(),
            p["state"]!.GetValue<string>(),
            p["direction"]?.GetValue<string>() ?? string.Empty,
            p["udp"]?.GetValue<bool>() ?? false)).ToList();
    }

    /// <summary>
    /// How long after <paramref name="since"/> this node logged <paramref name="peer"/> unreachable
    /// over UDP (event 2402, from the UTC timestamp its log lines start with), or "not logged".
    /// For the timeline only: the tests assert on `i4c peers`, not on log text.
    /// </summary>
    public string UnreachableLoggedAfter(string peer, DateTimeOffset since)
    {
        foreach (var line in _output)
        {
            if (line.Contains("[2402]", StringComparison.Ordinal) && line.Contains(peer, StringComparison.Ordinal) &&
                DateTimeOffset.TryParse(line.Split(' ', 2)[0], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at >= since)
            {
                return $"{(at - since).TotalSeconds:0.0} s";
            }
        }
        return "not logged";
    }

    /// <summary>SIGKILL, wait (bounded) for the process to be gone, and release it. Its output stays readable.</summary>
    public void Kill()
    {
        lock (_gate)
        {
            if (_killed)
            {
                return;
            }
            _killed = true;
        }
        Proc.KillQuietly(_process);
        try
        {
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}

/// <summary>One row of <c>i4c peers --json</c>.</summary>
public sealed record PeerView(string NodeId, string Name, string Endpoint, string State, string Direction, bool Udp)
{
    public override string ToString() => $"{Name} {State} {Direction} {Endpoint}{(State == "connected" ? Udp ? " udp" : " no-udp" : string.Empty)}".Replace("  ", " ", StringComparison.Ordinal);
}
