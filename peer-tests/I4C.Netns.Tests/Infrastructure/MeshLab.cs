using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>
/// A mesh of real nodes on a namespace LAN, founded the way operators found one: every node
/// exports its card, the first drafts the charter naming the others, the others sign it, all
/// adopt it. The nodes run with <c>--advertise none</c> and no seeds, so their cards carry no
/// endpoint and mDNS is the only way they can find each other.
/// <see cref="StartAsync"/> tears down what it built when it fails; <see cref="Dispose"/>
/// SIGKILLs every node and deletes namespaces, veths and bridge. Run test code through
/// <see cref="RunTestAsync"/> to get the timeline, the network state, the recent CLI runs and
/// the nodes' logs in the failure message.
/// </summary>
public sealed class MeshLab : IDisposable
{
    private readonly List<NsNode> _nodes = [];
    private readonly string _root;
    private readonly IDisposable _exitHook;
    private bool _disposed;

    private MeshLab(Timeline log)
    {
        Log = log;
        _root = Path.Combine(Path.GetTempPath(), "i4c-netns-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_root);
        _exitHook = EmergencyCleanup.Register(() =>
        {
            KillNodes();
            DeleteFiles();
        });
    }

    public Timeline Log { get; }

    public NetnsLab Net { get; private set; } = null!;

    public IReadOnlyList<NsNode> Nodes => _nodes;

    /// <summary>The charter's mesh id (hex), once adopted.</summary>
    public string MeshId { get; private set; } = string.Empty;

    /// <summary>Builds a lab of <paramref name="hosts"/> nodes and founds their mesh; on failure everything is torn down and the diagnostics are in the exception.</summary>
    public static async Task<MeshLab> StartAsync(int hosts)
    {
        NetnsLab.Preflight();
        var lab = new MeshLab(new Timeline());
        try
        {
            await lab.FoundAsync(hosts).ConfigureAwait(false);
            return lab;
        }
        catch (Exception ex)
        {
            var message = lab.Failure(ex);
            try
            {
                lab.Dispose();
            }
            catch (Exception cleanup)
            {
                message += Environment.NewLine + "Cleanup problems: " + cleanup.Message;
            }
            throw new InvalidOperationException("Setting up the multi-host lab failed: " + message, ex);
        }
    }

    /// <summary>Runs one test's code against the lab, writing the timeline to <paramref name="output"/>; a failure is rethrown with the diagnostics attached.</summary>
    public async Task RunTestAsync(ITestOutputHelper output, Func<MeshLab, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Log.Attach(output);
        try
        {
            await body(this).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new XunitException(Failure(ex), ex);
        }
        finally
        {
            Log.Attach(null);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        KillNodes();
        _exitHook.Dispose();
        KeepLogs();
        try
        {
            Net?.Dispose();
        }
        finally
        {
            DeleteFiles();
        }
    }

    /// <summary>Polls <paramref name="check"/> (null = holds, else what is missing) and logs how long it took.</summary>
    public async Task WaitAsync(string what, TimeSpan timeout, Func<Task<string?>> check)
    {
        Log.Step($"waiting (at most {timeout.TotalSeconds:0} s) for {what}");
        var (started, ended) = await Retry.UntilAsync(check, timeout, what, TimeSpan.FromMilliseconds(300)).ConfigureAwait(false);
        Log.Step($"… holds: the check that started after {started.TotalSeconds:0.0} s saw it (its CLI runs ended at {ended.TotalSeconds:0.0} s): {what}");
    }

    /// <summary>Publishes a CLEAR advisory on node <paramref name="index"/> and returns its id.</summary>
    public async Task<string> PublishAsync(int index, string title)
    {
        var node = _nodes[index];
        var result = await node.CliAsync("publish", "advisory", "--tlp", "clear", "--title", title, "--body", $"{title}, published on {node.Label} by the netns tests.", "--json").ConfigureAwait(false);
        if (!result.Ok)
        {
            throw new InvalidOperationException($"{node.Label}: {result}");
        }
        var id = JsonNode.Parse(result.Stdout)!["id"]!.GetValue<string>();
        Log.Step($"{node.Label} published '{title}' {id[..16]}… (the CLI took {result.Elapsed.TotalSeconds:0.0} s)");
        return id;
    }

    /// <summary>Runs <paramref name="query"/> on every node at once.</summary>
    public Task<T[]> OnAllAsync<T>(Func<NsNode, Task<T>> query) => Task.WhenAll(_nodes.Select(query));

    private async Task FoundAsync(int hosts)
    {
        Net = await NetnsLab.CreateAsync(hosts, Log).ConfigureAwait(false);
        foreach (var host in Net.Hosts)
        {
            _nodes.Add(NsNode.Start(host, Path.Combine(_root, "n" + host.Index), $"City of Netns {Net.Tag} N{host.Index}", Countries[host.Index % Countries.Length],
                ["--admin", "127.0.0.1:0", "--http", "127.0.0.1:0", "--listen", "0.0.0.0:7411", "--udp", "7411", "--advertise", "none", "--mdns", "on"]));
        }
        await Task.WhenAll(_nodes.Select(n => n.WaitReadyAsync(TestTimeouts.ProcessStart))).ConfigureAwait(false);
        Log.Step($"{hosts} nodes running ({string.Join(", ", _nodes.Select(n => $"{n.Label} in {n.Host.Namespace}"))})");

        var cards = Path.Combine(_root, "cards");
        Directory.CreateDirectory(cards);
        await Task.WhenAll(_nodes.Select(async n =>
        {
            var file = Path.Combine(cards, n.Label + ".card");
            var reply = await n.CliJsonAsync("card", "export", "--out", file).ConfigureAwait(false);
            n.NodeId = reply["nodeId"]!.GetValue<string>();
            var card = JsonNode.Parse(await File.ReadAllTextAsync(file).ConfigureAwait(false))!;
            var endpoints = card["endpoints"]!.AsArray();
            if (endpoints.Count != 0)
            {
                throw new InvalidOperationException($"{n.Label} runs with --advertise none, yet its card carries endpoints {endpoints.ToJsonString()}: the test would not prove mDNS discovery.");
            }
        })).ConfigureAwait(false);
        Log.Step("every node exported its card (no endpoints in any)");

        var agreement = Path.Combine(_root, "agreement.txt");
        await File.WriteAllTextAsync(agreement, $"Joint defence agreement of the netns test mesh {Net.Tag}.\n").ConfigureAwait(false);
        var charter = Path.Combine(_root, "charter.json");
        var create = new List<string> { "charter", "create", "--title", $"I4C netns test {Net.Tag}", "--agreement", agreement, "--threshold", "2", "--out", charter };
        foreach (var n in _nodes.Skip(1))
        {
            create.AddRange(["--founder", Path.Combine(cards, n.Label + ".card")]);
        }
        await _nodes[0].CliJsonAsync([.. create]).ConfigureAwait(false);
        JsonNode? signed = null;
        foreach (var n in _nodes.Skip(1))
        {
            signed = await n.CliJsonAsync("charter", "sign", charter).ConfigureAwait(false);
        }
        if (signed?["complete"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"the charter is not complete after every founder signed: {signed?.ToJsonString()}");
        }
        Log.Step($"charter drafted on n0 and signed on n1..n{hosts - 1}");
        var adopted = await OnAllAsync(n => n.CliJsonAsync("charter", "adopt", charter)).ConfigureAwait(false);
        var meshIds = adopted.Select(a => a["meshId"]!.GetValue<string>()).Distinct(StringComparer.Ordinal).ToList();
        if (meshIds.Count != 1)
        {
            throw new InvalidOperationException($"the nodes adopted different mesh ids: {string.Join(", ", meshIds)}");
        }
        MeshId = meshIds[0];
        Log.Step($"every node adopted the charter: mesh {MeshId[..16]}…");
    }

    /// <summary>The failure with the timeline, the network state, each node's recent CLI runs and its log.</summary>
    private string Failure(Exception ex)
    {
        Log.Step("FAILED: " + ex.Message);
        return new StringBuilder()
            .AppendLine(ex.GetType().Name + ": " + ex.Message)
            .AppendLine()
            .AppendLine("Timeline:")
            .AppendLine(Log.ToString())
            .AppendLine(NetworkState())
            .Append(NodeDiagnostics())
            .ToString();
    }

    /// <summary>With I4C_NETNS_LOG_DIR set, writes each node's output and the timeline there (to study a run that passed).</summary>
    private void KeepLogs()
    {
        if (Environment.GetEnvironmentVariable("I4C_NETNS_LOG_DIR") is not { Length: > 0 } dir || Net is null)
        {
            return;
        }
        try
        {
            var target = Path.Combine(dir, Net.Tag);
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "timeline.txt"), Log + Environment.NewLine);
            foreach (var node in _nodes)
            {
                File.WriteAllText(Path.Combine(target, node.Label + ".log"), node.Output + Environment.NewLine);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Step($"could not keep the logs in {dir}: {ex.Message}");
        }
    }

    private void DeleteFiles()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A node killed a moment ago may still hold a file; the OS temp cleaner gets the rest.
        }
    }

    private void KillNodes()
    {
        foreach (var node in _nodes)
        {
            node.Kill();
        }
    }

    private string NetworkState()
    {
        try
        {
            return Net is null ? string.Empty : "Network:" + Environment.NewLine + Net.Describe();
        }
        catch (Exception ex)
        {
            return "Network: cannot describe: " + ex.Message;
        }
    }

    private string NodeDiagnostics()
    {
        var text = new StringBuilder();
        foreach (var node in _nodes)
        {
            text.AppendLine().AppendLine($"===== {node.Label} ({node.Host.Namespace}, {node.Host.Address}, id {node.NodeId}) — recent CLI runs:");
            foreach (var cli in node.RecentCli)
            {
                text.AppendLine("  " + cli);
            }
            text.AppendLine($"===== {node.Label} — node output:");
            var lines = node.Output.Split(Environment.NewLine);
            if (lines.Length > 300)
            {
                text.AppendLine($"  … {lines.Length - 300} earlier lines left out …");
            }
            foreach (var line in lines.TakeLast(300))
            {
                text.AppendLine("  " + line);
            }
        }
        return text.ToString();
    }

    private static readonly string[] Countries = ["DE", "BE", "PT", "AT", "FR", "IT"];
}
