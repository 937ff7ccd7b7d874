using System.Text;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Hosting;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// The TLP matrix of docs/tlp.md on real nodes: every label, to a named audience and to all
/// members, against every kind of party. One cluster runs the whole table; each cell is
/// observed, and a failure names every cell that differs from the table.
/// </summary>
[Trait("Category", "Peer")]
public sealed class TlpMatrixTests(ITestOutputHelper output)
{
    // The cast. A writes every record; B, C and the listener L are its named audience (with H, a
    // member whose keys the test holds and which speaks over raw links); D and E are members outside
    // it. A is cut off from C and D (partition), so C and D can receive only through relays.
    private const int A = 0, B = 1, C = 2, D = 3, L = 4, E = 5;

    public enum Outcome
    {
        Holds, Never,                 // the node stores the record / never does
        Sends, Withholds,             // a node asked by a member of the audience over a raw link
        Allowed, Refused,             // a publish or a disclosure
        Shown, NotFound,              // Admin.Show
        Encrypted, Plain,             // the payload as stored on the author and a recipient
        EntitledOnly, AuthorOnly, NotLogged, // the audit logs of all nodes
        Violated,                     // observed only: none of the above
    }

    private sealed record Row(
        string Name, Tlp Tlp, bool Named,
        Outcome InAudienceLinked, Outcome InAudienceCutOff, Outcome OutsideCutOff, Outcome OutsideLinked, Outcome Listener,
        Outcome ListenerPublishes, Outcome NonMember, Outcome RecipientServes, Outcome AuthorServes,
        Outcome OwnTools, Outcome OwnToolsRaised, Outcome Public, Outcome ShowOnRecipient, Outcome ShowOnOutsider,
        Outcome OutsiderPolicy, Outcome AtRest, Outcome Audit);

    private const Outcome Holds = Outcome.Holds, Never = Outcome.Never, Sends = Outcome.Sends, Withholds = Outcome.Withholds,
        Allowed = Outcome.Allowed, Refused = Outcome.Refused, Shown = Outcome.Shown, NotFound = Outcome.NotFound,
        Encrypted = Outcome.Encrypted, Plain = Outcome.Plain, EntitledOnly = Outcome.EntitledOnly, AuthorOnly = Outcome.AuthorOnly, NotLogged = Outcome.NotLogged;

    // Columns:
    //  B      member in the audience, linked to A          C      member in the audience, cut off from A (relays only)
    //  D      member outside the audience, cut off from A  E      member outside the audience, linked to A
    //  L      listener in the audience                     Lpub   the listener publishes a record with this label
    //  stranger  a non-member (only GetCharter is open)     B→H    B (a recipient, not the author) asked by member H
    //  A→H    the author asked by member H                  tools  DisclosurePolicy OwnTools at the default ceiling GREEN
    //  tools+ OwnTools with the ceiling raised to AMBER+STRICT   public  DisclosurePolicy Public
    //  show B / show D   Admin.Show on a holder / on D      D pol  D's DisclosurePolicy Operator for the header
    //  rest   payload as stored on A and B                  audit  who logged a send of it, to whom
    private static readonly Row[] Matrix =
    [
        //  name                        label            named  B      C      D      E      L      Lpub     stranger B→H        A→H    tools    tools+   public   show B show D    D pol    rest       audit
        new("CLEAR to named",           Tlp.Clear,       true,  Holds, Holds, Never, Never, Holds, Refused, Never,   Sends,     Sends, Allowed, Allowed, Refused, Shown, NotFound, Refused, Encrypted, NotLogged),
        new("GREEN to named",           Tlp.Green,       true,  Holds, Holds, Never, Never, Holds, Refused, Never,   Sends,     Sends, Allowed, Allowed, Refused, Shown, NotFound, Refused, Encrypted, EntitledOnly),
        new("AMBER to named",           Tlp.Amber,       true,  Holds, Holds, Never, Never, Holds, Refused, Never,   Sends,     Sends, Refused, Allowed, Refused, Shown, NotFound, Refused, Encrypted, EntitledOnly),
        new("AMBER+STRICT to named",    Tlp.AmberStrict, true,  Holds, Holds, Never, Never, Holds, Refused, Never,   Sends,     Sends, Refused, Allowed, Refused, Shown, NotFound, Refused, Encrypted, EntitledOnly),
        new("RED to named",             Tlp.Red,         true,  Holds, Never, Never, Never, Holds, Refused, Never,   Withholds, Sends, Refused, Refused, Refused, Shown, NotFound, Refused, Encrypted, AuthorOnly),
        new("CLEAR to all",             Tlp.Clear,       false, Holds, Holds, Holds, Holds, Holds, Refused, Never,   Sends,     Sends, Allowed, Allowed, Allowed, Shown, Shown,    Allowed, Plain,     NotLogged),
        new("GREEN to all",             Tlp.Green,       false, Holds, Holds, Holds, Holds, Holds, Refused, Never,   Sends,     Sends, Allowed, Allowed, Refused, Shown, Shown,    Allowed, Plain,     EntitledOnly),
        new("AMBER to all",             Tlp.Amber,       false, Holds, Holds, Holds, Holds, Holds, Refused, Never,   Sends,     Sends, Refused, Allowed, Refused, Shown, Shown,    Allowed, Plain,     EntitledOnly),
        new("AMBER+STRICT to all",      Tlp.AmberStrict, false, Holds, Holds, Holds, Holds, Holds, Refused, Never,   Sends,     Sends, Refused, Allowed, Refused, Shown, Shown,    Allowed, Plain,     EntitledOnly),
    ];

    private static readonly (string Header, Func<Row, Outcome> Expected)[] Columns =
    [
        ("B", r => r.InAudienceLinked), ("C", r => r.InAudienceCutOff), ("D", r => r.OutsideCutOff), ("E", r => r.OutsideLinked),
        ("L", r => r.Listener), ("Lpub", r => r.ListenerPublishes), ("stranger", r => r.NonMember), ("B→H", r => r.RecipientServes),
        ("A→H", r => r.AuthorServes), ("tools", r => r.OwnTools), ("tools+", r => r.OwnToolsRaised), ("public", r => r.Public),
        ("show B", r => r.ShowOnRecipient), ("show D", r => r.ShowOnOutsider), ("D pol", r => r.OutsiderPolicy), ("rest", r => r.AtRest),
        ("audit", r => r.Audit),
    ];

    private sealed record Observed(Outcome Outcome, string Detail = "");

    [Fact]
    public async Task TlpMatrix_EveryLabelAgainstEveryParty_OutcomesMatchTheTable()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(6, output);
        await cluster.MakeListenerAsync(L);
        cluster.Expect("PublishRefused", L);
        using var member = HostileMember.Create(cluster.NewDirectory("member-h"), new NodeProfile("Città di Prova", "MT", MemberCategory.EuCity, Participation.Active));
        using var stranger = HostileMember.Create(cluster.NewDirectory("stranger"), new NodeProfile("Ciudad de Ninguna Parte", "ES", MemberCategory.EuCity, Participation.Active));
        await cluster.FoundAsync(extraCards: [member.CardRecord], extraSigners: [member.Identity]);
        await cluster.WaitForStableAsync();
        var failures = new List<string>();
        var observed = new Dictionary<(string Row, string Column), Observed>();
        void Observe(Row row, string column, Observed value) => observed[(row.Name, column)] = value;

        int[] cutOff = [C, D];
        cluster.Partition([A], cutOff);
        await Retry.Until(() => cutOff.All(i => !cluster[A].Sync.IsLinked(cluster[i].Id) && !cluster[i].Sync.IsLinked(cluster[A].Id)),
            Timeouts.Converge, () => "A has no link to C or D; " + cluster.DescribeState());

        await using var fromA = await RawLink.OpenAsync(member, cluster[A].MeshEndpoint);
        await fromA.SendHelloAsync(cluster.MeshId);
        await using var fromB = await RawLink.OpenAsync(member, cluster[B].MeshEndpoint);
        await fromB.SendHelloAsync(cluster.MeshId);
        await Retry.Until(() => cluster[A].Sync.IsLinked(member.Id) && cluster[B].Sync.IsLinked(member.Id), Timeouts.Call, "A and B register the links of member H");

        // Act 1: A publishes one advisory per row (RED first, so it has the longest time to leak).
        NodeId[] audience = [cluster[B].Id, cluster[C].Id, cluster[L].Id, member.Id];
        var records = new Dictionary<string, ValidatedRecord>();
        foreach (var row in Matrix.OrderByDescending(r => r.Tlp == Tlp.Red))
        {
            records[row.Name] = await cluster[A].PublishAdvisoryAsync(Title(row), $"Body of the {row.Name} probe.", row.Tlp, row.Named ? audience : []);
        }
        string Describe(Row r) => $"{r.Name} ({records[r.Name].Id.ToString()[..12]})";
        var holderColumns = new (int Node, Func<Row, Outcome> Expected)[] { (B, r => r.InAudienceLinked), (C, r => r.InAudienceCutOff), (D, r => r.OutsideCutOff), (E, r => r.OutsideLinked), (L, r => r.Listener) };
        var missing = () => Matrix.SelectMany(r => holderColumns.Where(c => c.Expected(r) == Holds && !cluster[c.Node].Holds(records[r.Name].Id)).Select(c => $"{cluster[c.Node]} lacks {Describe(r)}")).ToList();
        await Catch(failures, Retry.Until(() => missing().Count == 0, Timeouts.Converge, () => "every expected holder holds its records: " + string.Join("; ", missing())));

        // C, cut off from the author, is in sync with every peer it has: what it lacks now, no peer may give it.
        var (inSync, lacking, peers) = await cluster[C].Sync.WaitInSyncAsync(TimeSpan.FromSeconds(15), CancellationToken.None).Within(Timeouts.Converge, "C syncing with its peers");
        if (!inSync)
        {
            failures.Add($"C did not get in sync with its peers [{string.Join(",", peers.Select(cluster.IndexOf))}] ({lacking} records missing)");
        }
        foreach (var row in Matrix)
        {
            Observe(row, "C", HoldsOrNever(cluster[C], records[row.Name]));
        }

        // Member H asks B (a recipient, not the author) and A (the author) for everything, by chain range and by id.
        var red = records[Matrix.Single(r => r.Tlp == Tlp.Red).Name];
        var marker = records[Matrix.Single(r => r.Tlp == Tlp.Clear && !r.Named).Name].Id;
        // (The Want is served in the background; the audit column shows B never sent the RED record to anyone.)
        await fromB.SendWantAsync(red.Header, 1, red.Seq);
        foreach (var link in new[] { fromB, fromA })
        {
            await link.SendFetchAsync(records.Values.Select(r => r.Id).Where(id => id != marker));
            var before = link.Received.Count;
            await link.SendFetchAsync([marker]);
            // Frames are handled in order: once the answer to the second fetch is in, so is the first.
            await Catch(failures, Retry.Until(() => link.Received.Skip(before).Any(f => f.Records is { } r && r.Records_.Count == 1 && RecordId.OfHeader(r.Records_[0].Header.Span) == marker),
                Timeouts.Call, $"{(link == fromA ? "A" : "B")} answers member H's fetch"));
        }
        foreach (var row in Matrix)
        {
            var id = records[row.Name].Id;
            Observe(row, "B→H", new(fromB.RecordIdsReceived().Contains(id) ? Outcome.Sends : Outcome.Withholds));
            Observe(row, "A→H", new(fromA.RecordIdsReceived().Contains(id) ? Outcome.Sends : Outcome.Withholds));
        }

        // The non-member: the charter, and nothing else, from A and from a recipient.
        var strangerOutcome = await StrangerOutcomeAsync(cluster, stranger, [A, B]);

        // Act 2: every other column, per row.
        var defaultPolicy = cluster[A].Service<DisclosurePolicy>();
        var raisedPolicy = new DisclosurePolicy(cluster[A].Id, Tlp.AmberStrict);
        var outsiderPolicy = cluster[D].Service<DisclosurePolicy>();
        foreach (var row in Matrix)
        {
            var record = records[row.Name];
            Observe(row, "B", HoldsOrNever(cluster[B], record));
            Observe(row, "D", HoldsOrNever(cluster[D], record));
            Observe(row, "E", HoldsOrNever(cluster[E], record));
            Observe(row, "L", HoldsOrNever(cluster[L], record));
            Observe(row, "Lpub", await ListenerPublishesAsync(cluster, row, [cluster[A].Id, cluster[B].Id]));
            Observe(row, "stranger", strangerOutcome);
            Observe(row, "tools", Decision(defaultPolicy.Allows(record.Header, DisclosureTarget.OwnTools)));
            Observe(row, "tools+", Decision(raisedPolicy.Allows(record.Header, DisclosureTarget.OwnTools)));
            Observe(row, "public", Decision(defaultPolicy.Allows(record.Header, DisclosureTarget.Public)));
            Observe(row, "D pol", Decision(outsiderPolicy.Allows(record.Header, DisclosureTarget.Operator)));
            Observe(row, "show B", await ShowAsync(cluster[B], record, Title(row)));
            Observe(row, "show D", await ShowAsync(cluster[D], record, Title(row)));
            Observe(row, "rest", AtRest(cluster, record, Title(row)));
            Observe(row, "audit", Audit(cluster, record));
        }

        // Assert
        var table = new StringBuilder();
        table.AppendLine($"{"row",-24}" + string.Concat(Columns.Select(c => $" {c.Header,-12}")));
        foreach (var row in Matrix)
        {
            table.Append($"{row.Name,-24}");
            foreach (var (header, expected) in Columns)
            {
                var cell = observed.TryGetValue((row.Name, header), out var o) ? o : new Observed(Outcome.Violated, "not observed");
                table.Append($" {cell.Outcome,-12}");
                if (cell.Outcome != expected(row))
                {
                    failures.Add($"[{row.Name} × {header}] expected {expected(row)}, observed {cell.Outcome}{(cell.Detail.Length > 0 ? ": " + cell.Detail : string.Empty)}");
                }
            }
            table.AppendLine();
        }
        output.WriteLine("observed:\n" + table);
        // Also in the output: a cluster that ends with unexpected warnings fails at dispose, and that
        // failure would hide the list of cells.
        output.WriteLine($"{failures.Count} cell(s) differ from the table:\n" + string.Join("\n", failures));
        // RED can be no export ceiling: neither the policy nor the node's options accept it.
        Assert.Throws<ArgumentException>(() => new DisclosurePolicy(cluster[A].Id, Tlp.Red));
        Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(["--data", cluster[A].DataDirectory, "--export-max-tlp", "red"], _ => null));
        Assert.True(failures.Count == 0, $"{failures.Count} cell(s) of the TLP matrix differ:\n" + string.Join("\n", failures));
    }

    private static string Title(Row row) => $"TLP matrix probe: {row.Name}";

    private static Observed HoldsOrNever(ClusterNode node, ValidatedRecord record) => new(node.Holds(record.Id) ? Outcome.Holds : Outcome.Never);

    private static Observed Decision(bool allowed) => new(allowed ? Outcome.Allowed : Outcome.Refused);

    private static async Task Catch(List<string> failures, Task wait)
    {
        try
        {
            await wait;
        }
        catch (TimeoutException ex)
        {
            failures.Add(ex.Message);
        }
    }

    private static async Task<Observed> ListenerPublishesAsync(MeshCluster cluster, Row row, NodeId[] audience)
    {
        var countBefore = cluster[L].RecordCount;
        try
        {
            var record = await cluster[L].PublishAdvisoryAsync($"Listener tries {row.Name}", "A listener must not publish content.", row.Tlp, row.Named ? audience : []);
            return new(Outcome.Allowed, $"published {record.Id}");
        }
        catch (PublishRefusedException ex) when (ex.Message.Contains("listener", StringComparison.Ordinal))
        {
            return cluster[L].RecordCount == countBefore ? new(Outcome.Refused) : new(Outcome.Violated, "refused but something was stored");
        }
        catch (PublishRefusedException ex)
        {
            return new(Outcome.Violated, "refused for another reason: " + ex.Message);
        }
    }

    private static async Task<Observed> StrangerOutcomeAsync(MeshCluster cluster, HostileMember stranger, int[] targets)
    {
        foreach (var target in targets)
        {
            using var dialed = stranger.Dial(cluster[target].MeshEndpoint);
            var charter = await new Protocol.V1.Mesh.MeshClient(dialed.Channel).GetCharterAsync(new GetCharterRequest(), deadline: DateTime.UtcNow + Timeouts.Call)
                .ResponseAsync.Within(Timeouts.Call, $"GetCharter from {cluster[target]}");
            if (!Equals(charter.Charter, cluster.Charter))
            {
                return new(Outcome.Violated, $"{cluster[target]} did not give the stranger the charter");
            }
            try
            {
                await using var link = await RawLink.OpenAsync(stranger, cluster[target].MeshEndpoint);
                return new(Outcome.Holds, $"{cluster[target]} opened a Link for a non-member");
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
            {
                // Refused: nothing but the charter.
            }
        }
        return cluster.Nodes.Any(n => n.Sync.IsLinked(stranger.Id)) ? new(Outcome.Violated, "a node lists the stranger as linked") : new(Outcome.Never);
    }

    private static async Task<Observed> ShowAsync(ClusterNode node, ValidatedRecord record, string title)
    {
        var (reply, status, detail) = await node.TryShowAsync(record.Id);
        return status switch
        {
            StatusCode.OK when reply!.AdvisoryTitle() == title => new(Outcome.Shown),
            StatusCode.OK => new(Outcome.Violated, $"shown without its content (title '{reply!.AdvisoryTitle()}')"),
            StatusCode.NotFound => new(Outcome.NotFound),
            _ => new(Outcome.Violated, $"{status}: {detail}"),
        };
    }

    private static Observed AtRest(MeshCluster cluster, ValidatedRecord record, string title)
    {
        var needle = Encoding.UTF8.GetBytes(title);
        var states = new List<Outcome>();
        foreach (var node in new[] { cluster[A], cluster[B] })
        {
            var stored = node.Node.Store.Get(record.Id);
            if (stored?.Payload is not { } payload)
            {
                return new(Outcome.Violated, $"{node} holds no payload");
            }
            var plain = payload.AsSpan().IndexOf(needle) >= 0;
            states.Add(stored.Header.Encryption != EncryptionScheme.None && !plain ? Outcome.Encrypted
                : stored.Header.Encryption == EncryptionScheme.None && plain ? Outcome.Plain
                : Outcome.Violated);
        }
        return states.Distinct().Count() == 1 ? new(states[0]) : new(Outcome.Violated, $"A: {states[0]}, B: {states[1]}");
    }

    private static Observed Audit(MeshCluster cluster, ValidatedRecord record)
    {
        var senders = new HashSet<int>();
        foreach (var node in cluster.Nodes)
        {
            foreach (var entry in node.Node.Store.Audit(record.Id, 10_000))
            {
                if (!TlpPolicy.Entitled(record.Header, entry.Peer))
                {
                    return new(Outcome.Violated, $"{node} logged a send to {entry.Peer}, which is not entitled to it");
                }
                senders.Add(node.Index);
            }
        }
        var who = $"senders [{string.Join(",", senders.Order())}]";
        return senders.Count == 0 ? new(Outcome.NotLogged)
            : senders.SetEquals([A]) ? new(Outcome.AuthorOnly, who)
            : new(Outcome.EntitledOnly, who);
    }
}
