using System.Text;
using I4C.Core.Identity;
using I4C.Mesh.Tests.Harness;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// The canary test of docs/tlp.md ("How to check"), on five real nodes and at byte level:
/// restricted content never lands in plaintext in any file of any node, recipients and author
/// included, nor in any node's log output.
/// </summary>
[Trait("Category", "Peer")]
public sealed class TlpLeakTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1, C = 2, D = 3, E = 4;

    [Fact]
    public async Task RestrictedCanary_SyncedThenNodesStopped_InNoFileOfAnyNodeAndInNoLog()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(5, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var canary = Canary.New();
        var control = Canary.New();
        NodeId[] recipients = [cluster[B].Id, cluster[C].Id];

        // Act: RED and AMBER+STRICT for B and C, the canary in title and body; and a control canary
        // in an all-member record, which every node stores in plain form (so the search can see a plaintext).
        var red = await cluster[A].PublishAdvisoryAsync($"RED {canary}", $"Lateral movement from {canary} into the SCADA segment.", Tlp.Red, recipients);
        var strict = await cluster[A].PublishAdvisoryAsync($"AMBER+STRICT {canary}", $"Supplier {canary} compromised; do not share outside your CERT.", Tlp.AmberStrict, recipients);
        var open = await cluster[A].PublishAdvisoryAsync($"GREEN {control}", $"Control record {control} for all members.", Tlp.Green, []);
        await Retry.Until(() => new[] { B, C }.All(i => cluster[i].Holds(red.Id) && cluster[i].Holds(strict.Id)) && cluster.Nodes.All(n => n.Holds(open.Id)),
            Timeouts.Converge, () => "B and C hold both restricted records and every node the control; " + cluster.DescribeState());
        foreach (var i in new[] { D, E })
        {
            var (inSync, missing, _) = await cluster[i].Sync.WaitInSyncAsync(TimeSpan.FromSeconds(15), CancellationToken.None).Within(Timeouts.Converge, $"{cluster[i]} syncing");
            Assert.True(inSync, $"{cluster[i]} is not in sync ({missing} missing)");
        }
        // The recipients' operators read the content (decrypted in memory only), through the Admin API and the CLI.
        foreach (var i in new[] { B, C })
        {
            var (reply, status, detail) = await cluster[i].TryShowAsync(red.Id);
            Assert.True(reply is not null, $"{cluster[i]}: Show failed: {status} {detail}");
            Assert.Contains(canary, reply.Advisory.Body, StringComparison.Ordinal);
            var shown = await cluster[i].CliAsync("show", strict.Id.ToString());
            Assert.True(shown.ExitCode == 0, shown.ToString());
            Assert.Contains(canary, shown.Stdout, StringComparison.Ordinal);
            var feed = await cluster[i].CliAsync("feed", "--json");
            Assert.Contains(canary, feed.Stdout, StringComparison.Ordinal);
        }
        Assert.False(cluster[D].Holds(red.Id) || cluster[D].Holds(strict.Id) || cluster[E].Holds(red.Id) || cluster[E].Holds(strict.Id));
        // Stop every node: SQLite closes, checkpoints and removes its write-ahead log.
        foreach (var node in cluster.Nodes)
        {
            await cluster.StopNodeAsync(node.Index);
        }

        // Assert
        var hits = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            var role = node.Index switch { A => "author", B or C => "recipient", _ => "outsider" };
            var scanned = new List<string>();
            hits.AddRange(Canary.InFiles(node.DataDirectory, canary, scanned.Add).Select(h => $"{node} ({role}): {h}"));
            output.WriteLine($"{node} ({role}) scanned: {string.Join(", ", scanned)}");
            var controlHits = Canary.InFiles(node.DataDirectory, control);
            // The control: the same search does find an all-member record's plaintext in every node's database.
            Assert.True(controlHits.Any(h => h.Where.Contains("i4c.db", StringComparison.Ordinal) && h.Encoding == "UTF-8"),
                $"{node}: the control canary of an all-member record was not found in its database; the search is blind");
        }
        hits.AddRange(Canary.InLogs(cluster.Logs, canary).Select(h => h.ToString()));
        output.WriteLine($"searched {cluster.Logs.Entries.Count} log lines of {cluster.Nodes.Count} nodes");
        Assert.True(hits.Count == 0, $"the canary {canary} of a restricted record was found in plaintext:\n" + string.Join("\n", hits));

        // And the search finds each encoding it claims to look for.
        var probe = Path.Combine(cluster.NewDirectory("probe"), "probe.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(probe)!);
        await File.WriteAllBytesAsync(probe, [.. new byte[7], .. Encoding.BigEndianUnicode.GetBytes(canary), .. new byte[3], .. Encoding.Unicode.GetBytes(canary)]);
        Assert.Equal(["UTF-16BE", "UTF-16LE"], Canary.InFiles(Path.GetDirectoryName(probe)!, canary).Select(h => h.Encoding).Order(StringComparer.Ordinal));
    }
}
