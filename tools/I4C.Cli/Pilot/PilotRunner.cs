using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using I4C.Core.Maturity;

namespace I4C.Cli.Pilot;

/// <summary>How a pilot runs: the number of cities, where its data goes, whether it stays up after the scenario.</summary>
internal sealed record PilotSettings(int Cities, string Directory, bool Once);

/// <summary>One step of the scenario as it ran.</summary>
internal sealed record PilotStep(string Name, bool Ok, string What, string Nodes, TimeSpan Took, string? Error);

/// <summary>
/// Runs the pilot: one identity and one <c>i4c-node</c> process per city on 127.0.0.1, a mesh founded by charter, and a
/// scenario that exercises every part of the mesh through the same <c>i4c</c> commands an operator types. Each step
/// waits for the state it needs (bounded), checks it on every node it concerns, and reports what happened where.
/// </summary>
internal sealed class PilotRunner : IAsyncDisposable
{
    private const string ThreatTitle = "Pilot: credential-stuffing wave against municipal web portals";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly PilotSettings _settings;
    private readonly TextWriter _progress;
    private readonly List<PilotNode> _nodes = [];
    private readonly List<PilotStep> _steps = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public PilotRunner(PilotSettings settings, TextWriter progress)
    {
        _settings = settings;
        _progress = progress;
        var nodeDll = NodeDll();
        foreach (var city in PilotCities.For(settings.Cities))
        {
            _nodes.Add(new PilotNode(city, settings.Directory, nodeDll));
        }
    }

    public IReadOnlyList<PilotStep> Steps => _steps;

    public IReadOnlyList<PilotNode> Nodes => _nodes;

    public string ReportPath => Path.Combine(_settings.Directory, "benchmark.html");

    public string LogDirectory => Path.Combine(_settings.Directory, "logs");

    private IEnumerable<PilotNode> Founders => _nodes.Where(n => n.City.Role != PilotRole.Applicant);

    private PilotNode Applicant => _nodes.Single(n => n.City.Role == PilotRole.Applicant);

    private PilotNode Listener => _nodes.Single(n => n.City.Role == PilotRole.ListenerFounder);

    /// <summary>Cities that publish (everyone but the listener).</summary>
    private IEnumerable<PilotNode> Publishers => _nodes.Where(n => n.City.Publishes);

    private PilotNode Ghent => _nodes[0];

    private PilotNode Bonn => _nodes[1];

    private PilotNode Porto => _nodes[2];

    /// <summary>Runs every step in order; a failed step ends the scenario (the later ones are reported as not run).</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var scenario = new (string Name, Func<CancellationToken, Task<(string What, string Nodes)>> Run)[]
        {
            ("Identities", IdentitiesAsync),
            ("Nodes started", StartNodesAsync),
            ("Charter adopted", FoundAsync),
            ("Federation", FederateAsync),
            ("Live admission", AdmitAsync),
            ("MISP advisory", ImportMispAsync),
            ("TLP:RED incident", RedIncidentAsync),
            ("AMBER+STRICT practice", StrictPracticeAsync),
            ("NIS2 assessments", AssessAsync),
            ("Kill and catch up", KillAndCatchUpAsync),
            ("Retraction", RetractAsync),
        };
        var failed = false;
        foreach (var (name, run) in scenario)
        {
            if (failed)
            {
                _steps.Add(new PilotStep(name, false, "not run: an earlier step failed", "-", TimeSpan.Zero, null));
                continue;
            }
            await _progress.WriteLineAsync($"[{Elapsed}] {name} …").ConfigureAwait(false);
            var started = _clock.Elapsed;
            try
            {
                var (what, nodes) = await run(cancellationToken).ConfigureAwait(false);
                var step = new PilotStep(name, true, what, nodes, _clock.Elapsed - started, null);
                _steps.Add(step);
                await _progress.WriteLineAsync($"[{Elapsed}]   ok   {what} ({Seconds(step.Took)})").ConfigureAwait(false);
            }
            catch (PilotException ex)
            {
                // A command cut short by Ctrl+C reports itself as failed; that is an interruption, not a failed step.
                cancellationToken.ThrowIfCancellationRequested();
                failed = true;
                var step = new PilotStep(name, false, "failed", "-", _clock.Elapsed - started, ex.Message);
                _steps.Add(step);
                await _progress.WriteLineAsync($"[{Elapsed}]   FAILED {ex.Message}").ConfigureAwait(false);
            }
        }
        return !failed;
    }

    /// <summary>Kills every node at once; safe to call more than once and from a signal handler.</summary>
    public void KillAll()
    {
        foreach (var node in _nodes)
        {
            node.KillNow();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string Elapsed => _clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture).PadLeft(6) + " s";

    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Names(IEnumerable<PilotNode> nodes) => string.Join(", ", nodes.Select(n => n.City.Short));

    // ---- The steps ----------------------------------------------------------------------------------------------

    private async Task<(string, string)> IdentitiesAsync(CancellationToken ct)
    {
        foreach (var node in _nodes)
        {
            List<string> args = ["init", "--name", node.City.Name, "--country", node.City.Country, "--category", node.City.Category];
            if (node.City.Role == PilotRole.ListenerFounder)
            {
                args.Add("--listener");
            }
            var json = await OkAsync(node, ct, [.. args]).ConfigureAwait(false);
            node.NodeId = (string)json["nodeId"]!;
        }
        return ($"{_nodes.Count} city identities (Ed25519 + X25519 keys, TLS certificate), one listener", Names(_nodes));
    }

    private async Task<(string, string)> StartNodesAsync(CancellationToken ct)
    {
        await Task.WhenAll(_nodes.Select(n => n.StartAsync(ct))).ConfigureAwait(false);
        return ($"{_nodes.Count} i4c-node processes on 127.0.0.1 (pids {string.Join(", ", _nodes.Select(n => n.Pid))})", Names(_nodes));
    }

    private async Task<(string, string)> FoundAsync(CancellationToken ct)
    {
        var founders = Founders.ToList();
        var agreement = Path.Combine(_settings.Directory, "joint-defence-agreement.md");
        await File.WriteAllTextAsync(agreement, AgreementText, ct).ConfigureAwait(false);
        var cards = new List<string>();
        foreach (var founder in founders.Skip(1))
        {
            var card = Path.Combine(_settings.Directory, "cards", founder.City.Slug + ".card");
            Directory.CreateDirectory(Path.GetDirectoryName(card)!);
            await OkAsync(founder, ct, "card", "export", "--out", card).ConfigureAwait(false);
            cards.Add(card);
        }
        var charter = CharterPath;
        List<string> create = ["charter", "create", "--title", "I4C pilot joint-defence agreement", "--agreement", agreement,
            "--threshold", "2", "--revocation-threshold", "2", "--benchmark-k", "3", "--out", charter];
        foreach (var card in cards)
        {
            create.Add("--founder");
            create.Add(card);
        }
        await OkAsync(founders[0], ct, [.. create]).ConfigureAwait(false);
        foreach (var founder in founders.Skip(1))
        {
            await OkAsync(founder, ct, "charter", "sign", charter).ConfigureAwait(false);
        }
        string meshId = string.Empty;
        foreach (var founder in founders)
        {
            var adopted = await OkAsync(founder, ct, "charter", "adopt", charter).ConfigureAwait(false);
            meshId = (string)adopted["meshId"]!;
        }
        return ($"charter signed by all {founders.Count} founders and adopted; mesh {meshId[..16]}…", Names(founders));
    }

    private string CharterPath => Path.Combine(_settings.Directory, "charter.json");

    private async Task<(string, string)> FederateAsync(CancellationToken ct)
    {
        var founders = Founders.ToList();
        await WaitAsync("every founder linked to every other founder", async () =>
        {
            foreach (var founder in founders)
            {
                if (await ConnectedPeersAsync(founder, ct).ConfigureAwait(false) < founders.Count - 1)
                {
                    return false;
                }
            }
            return true;
        }, ct).ConfigureAwait(false);
        return ($"each of {founders.Count} founders linked to the {founders.Count - 1} others; no address was configured (member cards, mDNS)", Names(founders));
    }

    private async Task<(string, string)> AdmitAsync(CancellationToken ct)
    {
        var applicant = Applicant;
        var request = Path.Combine(_settings.Directory, applicant.City.Slug + ".join");
        await OkAsync(applicant, ct, "join-request", "--charter", CharterPath, "--out", request).ConfigureAwait(false);
        var endorsers = Founders.Where(f => f.City.Publishes).Take(2).ToList();
        foreach (var endorser in endorsers)
        {
            await OkAsync(endorser, ct, "endorse", request).ConfigureAwait(false);
        }
        await WaitAsync($"every node counts {applicant.City.Short} as a member", async () =>
        {
            foreach (var node in _nodes)
            {
                if (!await IsMemberAsync(node, applicant.NodeId, ct).ConfigureAwait(false))
                {
                    return false;
                }
            }
            return await ConnectedPeersAsync(applicant, ct).ConfigureAwait(false) >= 1;
        }, ct).ConfigureAwait(false);
        return ($"{applicant.City.Short} ({applicant.City.Category}) admitted live by {Names(endorsers)}; all {_nodes.Count} nodes count {_nodes.Count} members", Names(_nodes));
    }

    private async Task<(string, string)> ImportMispAsync(CancellationToken ct)
    {
        var file = Path.Combine(_settings.Directory, "misp", "circl-xorist-ransomware.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using (var sample = typeof(PilotRunner).Assembly.GetManifestResourceStream("I4C.Cli.Pilot.circl-xorist-ransomware.json")
            ?? throw new PilotException("the MISP sample event is missing from the i4c assembly"))
        await using (var target = File.Create(file))
        {
            await sample.CopyToAsync(target, ct).ConfigureAwait(false);
        }
        var imported = await OkAsync(Bonn, ct, "import", "misp", file).ConfigureAwait(false);
        var id = FirstRecordId(imported) ?? throw new PilotException($"i4c import misp reported no published record: {imported.ToJsonString()}");
        var indicators = 0;
        await WaitAsync("the imported advisory on every node", async () =>
        {
            foreach (var node in _nodes)
            {
                var shown = await ShowAsync(node, id, ct).ConfigureAwait(false);
                if (shown?["content"]?["indicators"] is not JsonArray list || list.Count == 0)
                {
                    return false;
                }
                indicators = list.Count;
            }
            return true;
        }, ct).ConfigureAwait(false);
        var tlp = (string?)(await ShowAsync(Bonn, id, ct).ConfigureAwait(false))?["tlp"];
        return ($"CIRCL event 'Ransomware - Xorist' imported at {Bonn.City.Short} as a TLP:{tlp?.ToUpperInvariant()} advisory with {indicators} indicators; held by every node", Names(_nodes));
    }

    private async Task<(string, string)> RedIncidentAsync(CancellationToken ct)
    {
        var author = Ghent;
        var recipients = new[] { Bonn, Porto };
        var published = await OkAsync(author, ct, "publish", "incident", "--tlp", "red", "--to", string.Join(',', recipients.Select(r => r.NodeId)),
            "--title", "Pilot: ransomware in the parking-permit system", "--body", "Early warning under NIS2 Art. 23: encrypted file shares, no data exfiltration seen yet.",
            "--stage", "early-warning").ConfigureAwait(false);
        var id = (string)published["id"]!;
        await WaitAsync("both recipients hold and open the RED incident", async () =>
        {
            foreach (var recipient in recipients)
            {
                if (await ShowAsync(recipient, id, ct).ConfigureAwait(false) is not { } shown || shown["content"] is null)
                {
                    return false;
                }
            }
            return true;
        }, ct).ConfigureAwait(false);
        await WaitAsync("DELIVERED and READ receipts from both recipients", async () =>
        {
            var receipts = await OkAsync(author, ct, "receipts", id).ConfigureAwait(false);
            return receipts["recipients"] is JsonArray list && list.Count == recipients.Length
                && list.All(r => r?["delivered"] is not null && r["read"] is not null);
        }, ct).ConfigureAwait(false);
        var others = _nodes.Except(recipients).Where(n => n != author).ToList();
        foreach (var other in others)
        {
            if (await ShowAsync(other, id, ct).ConfigureAwait(false) is not null)
            {
                throw new PilotException($"{other.City.Short} holds the RED incident it was not sent");
            }
        }
        return ($"TLP:RED incident from {author.City.Short} to {Names(recipients)}: both DELIVERED and READ receipts; none of the {others.Count} other nodes holds it",
            Names(recipients.Prepend(author)));
    }

    private async Task<(string, string)> StrictPracticeAsync(CancellationToken ct)
    {
        var author = Porto;
        var group = new[] { Ghent, Bonn, Applicant };
        var domain = MaturityFramework.Current.Domains[0].Code;
        var published = await OkAsync(author, ct, "publish", "practice", "--tlp", "amber+strict", "--to", string.Join(',', group.Select(g => g.NodeId)),
            "--type", "good-practice", "--domain", domain, "--title", "Pilot: how we run a board-level cyber exercise every quarter",
            "--body", "A 90-minute tabletop with the mayor's office, legal and communications; the scenario comes from the mesh's last incident.").ConfigureAwait(false);
        var id = (string)published["id"]!;
        await WaitAsync("the group holds and can read the practice", async () =>
        {
            foreach (var member in group)
            {
                if (await ShowAsync(member, id, ct).ConfigureAwait(false) is not { } shown || shown["content"] is null)
                {
                    return false;
                }
            }
            return true;
        }, ct).ConfigureAwait(false);
        // Give replication a moment to misbehave, if it would, before checking the outsiders.
        await SyncAllAsync(ct).ConfigureAwait(false);
        var outsiders = _nodes.Except(group).Where(n => n != author).ToList();
        foreach (var outsider in outsiders)
        {
            if (await ShowAsync(outsider, id, ct).ConfigureAwait(false) is not null)
            {
                throw new PilotException($"{outsider.City.Short} holds the AMBER+STRICT practice outside its audience");
            }
        }
        return ($"TLP:AMBER+STRICT practice (domain {domain}) from {author.City.Short} readable by {Names(group)}; not on {Names(outsiders)}",
            Names(group.Prepend(author)));
    }

    private async Task<(string, string)> AssessAsync(CancellationToken ct)
    {
        var directory = Path.Combine(_settings.Directory, "assessments");
        Directory.CreateDirectory(directory);
        var framework = MaturityFramework.Current;
        var publishers = Publishers.ToList();
        for (var i = 0; i < _nodes.Count; i++)
        {
            var node = _nodes[i];
            var file = Path.Combine(directory, node.City.Slug + ".json");
            await File.WriteAllTextAsync(file, AnswersFile.Render(framework, PilotAssessments.For(node.City, i, framework)), ct).ConfigureAwait(false);
            var result = await CliAsync(node, ct, "assess", "--from", file, "--tlp", "amber").ConfigureAwait(false);
            if (node.City.Publishes && result.Exit != ExitCodes.Ok)
            {
                throw new PilotException($"i4c assess on {node.City.Short} failed (exit {result.Exit}): {result.Err}");
            }
            if (!node.City.Publishes && result.Exit != ExitCodes.Refused)
            {
                throw new PilotException($"the listener {node.City.Short} was not refused when it tried to publish its assessment (exit {result.Exit})");
            }
        }
        var viewer = Ghent;
        await WaitAsync($"{viewer.City.Short} holds every other city's assessment", async () =>
        {
            var feed = await OkAsync(viewer, ct, "feed", "--kind", "assessment", "--limit", "1000").ConfigureAwait(false);
            var authors = (feed["records"] as JsonArray ?? []).Select(r => (string?)r?["author"]).ToHashSet(StringComparer.Ordinal);
            return publishers.All(p => authors.Contains(p.NodeId));
        }, ct).ConfigureAwait(false);
        var benchmark = await OkAsync(viewer, ct, "benchmark", "--html", ReportPath).ConfigureAwait(false);
        var shown = CountShownDomains(benchmark);
        if (shown == 0)
        {
            throw new PilotException($"the benchmark at {viewer.City.Short} shows no domain: {benchmark.ToJsonString()}");
        }
        if (!File.Exists(ReportPath))
        {
            throw new PilotException($"the benchmark did not write {ReportPath}");
        }
        return ($"{publishers.Count} self-assessments at TLP:AMBER (the listener's refused); benchmark at {viewer.City.Short} against {publishers.Count - 1} peers shows {shown} domains; report written",
            Names(publishers));
    }

    private async Task<(string, string)> KillAndCatchUpAsync(CancellationToken ct)
    {
        var victim = Porto;
        await victim.KillAsync().ConfigureAwait(false);
        if (victim.Running)
        {
            throw new PilotException($"{victim.City.Short}'s node did not die");
        }
        var published = await OkAsync(Bonn, ct, "publish", "advisory", "--tlp", "green", "--title", ThreatTitle,
            "--body", "Login attempts from a residential proxy network against citizen portals; block the listed ranges and enforce MFA.",
            "--indicator", "ip-src:198.51.100.23", "--indicator", "domain:login-citizen-portal.example").ConfigureAwait(false);
        var id = (string)published["id"]!;
        var others = _nodes.Where(n => n != victim).ToList();
        await WaitAsync("the advisory on every running node", () => HeldByAllAsync(others, id, ct), ct).ConfigureAwait(false);
        var restart = Stopwatch.StartNew();
        await victim.StartAsync(ct).ConfigureAwait(false);
        var serving = restart.Elapsed;
        await WaitAsync($"{victim.City.Short} catches up after its restart", () => HeldByAllAsync([victim], id, ct), ct).ConfigureAwait(false);
        var caughtUp = restart.Elapsed - serving;
        var verify = await CliAsync(victim, ct, "verify").ConfigureAwait(false);
        if (verify.Exit != ExitCodes.Ok)
        {
            throw new PilotException($"i4c verify on {victim.City.Short} after the kill failed (exit {verify.Exit}): {verify.Err}{verify.Out}");
        }
        return ($"{victim.City.Short} killed (SIGKILL) while {Bonn.City.Short} published; restarted (serving after {Seconds(serving)}), caught up {Seconds(caughtUp)} later, verify ok", Names(_nodes));
    }

    private async Task<(string, string)> RetractAsync(CancellationToken ct)
    {
        var feed = await OkAsync(Bonn, ct, "feed", "--kind", "advisory", "--limit", "1000").ConfigureAwait(false);
        var id = (feed["records"] as JsonArray ?? []).Select(r => r!).FirstOrDefault(r => (string?)r["title"] == ThreatTitle)?["id"]?.GetValue<string>()
            ?? throw new PilotException($"{Bonn.City.Short} does not list its own advisory '{ThreatTitle}'");
        await OkAsync(Bonn, ct, "retract", id, "--reason", "pilot: false positive, the ranges belong to a partner's scanner").ConfigureAwait(false);
        await WaitAsync("the payload purged on every node", async () =>
        {
            foreach (var node in _nodes)
            {
                if (await ShowAsync(node, id, ct).ConfigureAwait(false) is not { } shown || shown["content"] is not null || string.IsNullOrEmpty((string?)shown["purgeReason"]))
                {
                    return false;
                }
            }
            return true;
        }, ct).ConfigureAwait(false);
        return ($"{Bonn.City.Short} retracted its advisory; the payload is purged on all {_nodes.Count} nodes, the signed header stays", Names(_nodes));
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private async Task<bool> HeldByAllAsync(IEnumerable<PilotNode> nodes, string id, CancellationToken ct)
    {
        foreach (var node in nodes)
        {
            if (await ShowAsync(node, id, ct).ConfigureAwait(false) is not { } shown || shown["content"] is null)
            {
                return false;
            }
        }
        return true;
    }

    private async Task SyncAllAsync(CancellationToken ct)
    {
        foreach (var node in _nodes)
        {
            // Not in sync is fine here (a RED or restricted record is not everyone's); this only drives a round.
            await CliAsync(node, ct, "sync", "--wait", "--timeout", "3").ConfigureAwait(false);
        }
    }

    private async Task<int> ConnectedPeersAsync(PilotNode node, CancellationToken ct)
    {
        var peers = await OkAsync(node, ct, "peers").ConfigureAwait(false);
        return (peers["peers"] as JsonArray ?? []).Count(p => (string?)p?["state"] == "connected");
    }

    private async Task<bool> IsMemberAsync(PilotNode node, string nodeId, CancellationToken ct)
    {
        var members = await OkAsync(node, ct, "members").ConfigureAwait(false);
        return (members["members"] as JsonArray ?? []).Any(m => (string?)m?["nodeId"] == nodeId && (string?)m?["status"] == "member");
    }

    /// <summary>The record as <c>i4c show --json</c> gives it, or null when the node does not hold it.</summary>
    private async Task<JsonNode?> ShowAsync(PilotNode node, string id, CancellationToken ct)
    {
        var result = await CliAsync(node, ct, "show", id).ConfigureAwait(false);
        return result.Exit switch
        {
            ExitCodes.Ok => result.Json,
            ExitCodes.NotFound => null,
            _ => throw new PilotException($"i4c show on {node.City.Short} failed (exit {result.Exit}): {result.Err}"),
        };
    }

    private static string? FirstRecordId(JsonNode imported)
    {
        foreach (var key in new[] { "events", "published", "records" })
        {
            if (imported[key] is JsonArray list)
            {
                foreach (var item in list)
                {
                    if (item?["id"] is JsonValue id && (string?)id is { Length: > 0 } text)
                    {
                        return text;
                    }
                    if (item?["recordId"] is JsonValue rid && (string?)rid is { Length: > 0 } ridText)
                    {
                        return ridText;
                    }
                }
            }
        }
        return null;
    }

    private static int CountShownDomains(JsonNode benchmark) =>
        (benchmark["domains"] as JsonArray ?? []).Count(d => d?["peers"] is JsonObject);

    private async Task WaitAsync(string what, Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = _clock.Elapsed + StepTimeout;
        while (!await condition().ConfigureAwait(false))
        {
            if (_clock.Elapsed > deadline)
            {
                throw new PilotException($"{what}: not reached within {StepTimeout.TotalSeconds:0} s (node logs: {LogDirectory})");
            }
            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }

    private async Task<JsonNode> OkAsync(PilotNode node, CancellationToken ct, params string[] args)
    {
        var result = await CliAsync(node, ct, args).ConfigureAwait(false);
        if (result.Exit != ExitCodes.Ok)
        {
            throw new PilotException($"i4c {string.Join(' ', args.Take(2))} on {node.City.Short} failed (exit {result.Exit}): {result.Err}");
        }
        return result.Json;
    }

    /// <summary>Runs an i4c command in this process against a city's node, with --json.</summary>
    private static async Task<CliResult> CliAsync(PilotNode node, CancellationToken ct, params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await CliApp.RunAsync([.. args, "--data", node.DataPath, "--json"], stdout, stderr, ct).ConfigureAwait(false);
        // The first error line says what was wrong; the rest is usage help.
        var error = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return new CliResult(exit, stdout.ToString(), error);
    }

    private sealed record CliResult(int Exit, string Out, string Err)
    {
        public JsonNode Json => JsonNode.Parse(Out) ?? throw new PilotException("a command printed no JSON");
    }

    /// <summary>i4c-node.dll beside this assembly (the CLI project references the node, so every build puts it there).</summary>
    private static string NodeDll()
    {
        var here = Path.GetDirectoryName(typeof(PilotRunner).Assembly.Location) ?? AppContext.BaseDirectory;
        var dll = Path.Combine(here, "i4c-node.dll");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(here, "i4c-node.runtimeconfig.json")))
        {
            throw new CliException(ExitCodes.Internal, $"i4c-node.dll is not next to i4c in {here}; build the solution (dotnet build I4C.Node.sln) and run i4c from its build output.");
        }
        return dll;
    }

    private const string AgreementText = """
        # I4C pilot joint-defence agreement

        The cities signing this charter agree to:

        1. share what they learn about threats to their services (advisories, indicators, incidents and how they were
           resolved, good practice) with the other members, labelled with TLP 2.0, and to honour every label they receive;
        2. never pass a TLP:RED record beyond its named recipients, nor an AMBER+STRICT record beyond their own organisation;
        3. vouch for a new member only after checking its fingerprint with a person they know at that city;
        4. report a compromised node key to the other members at once and leave or rotate it;
        5. answer a member's request for help during an incident as far as their means allow.

        This text is an example written for the pilot; a real mesh adopts the agreement its members negotiated.
        """;
}
