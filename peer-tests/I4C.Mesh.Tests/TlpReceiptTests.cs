using System.Text.Json.Nodes;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

/// <summary>Receipts for TLP:RED (docs/tlp.md, "Receipts"), through the `i4c` command line on real nodes.</summary>
[Trait("Category", "Peer")]
public sealed class TlpReceiptTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1, C = 2;

    [Fact]
    public async Task RedToTwoRecipients_DeliveredThenShownOnOne_ReceiptsShowBothDeliveredAndOnlyThatOneRead()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(3, output);
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var title = "Bonn: ransomware negotiator contact, RED";
        var published = await cluster[A].CliAsync("publish", "advisory", "--tlp", "red", "--title", title, "--body", "Named recipients only.",
            "--to", $"{cluster[B].Id.Text},{cluster[C].Id.Text}", "--json");
        Assert.True(published.ExitCode == 0, published.ToString());
        var id = JsonNode.Parse(published.Stdout)!["id"]!.GetValue<string>();

        // Act 1: delivery
        var receipts = await WaitForReceiptsAsync(cluster, id, r => Recipient(r, cluster[B]) is { } b && Delivered(b) && Recipient(r, cluster[C]) is { } c && Delivered(c),
            "both recipients' DELIVERED receipts");

        // Assert 1
        Assert.Equal("red", receipts["tlp"]!.GetValue<string>());
        Assert.Equal(2, receipts["recipients"]!.AsArray().Count);
        Assert.All(new[] { cluster[B], cluster[C] }, n => Assert.Equal(string.Empty, Recipient(receipts, n)!["read"]!.GetValue<string>()));

        // Act 2: an operator of B opens it
        var shown = await cluster[B].CliAsync("show", id);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains(title, shown.Stdout, StringComparison.Ordinal);
        receipts = await WaitForReceiptsAsync(cluster, id, r => Recipient(r, cluster[B]) is { } b && b["read"]!.GetValue<string>().Length > 0, "B's READ receipt");

        // Assert 2: read is set for B only
        var onB = Recipient(receipts, cluster[B])!;
        var onC = Recipient(receipts, cluster[C])!;
        Assert.True(Delivered(onB) && Delivered(onC), receipts.ToJsonString());
        Assert.True(string.CompareOrdinal(onB["delivered"]!.GetValue<string>(), onB["read"]!.GetValue<string>()) <= 0, "B read it before it was delivered: " + receipts.ToJsonString());
        Assert.Equal(string.Empty, onC["read"]!.GetValue<string>());
        Assert.Equal(cluster[B].Name, onB["name"]!.GetValue<string>());
        // A second show sends no second READ receipt; receipts go to the author only and only the author can list them.
        var again = await cluster[B].CliAsync("show", id);
        Assert.Equal(0, again.ExitCode);
        var elsewhere = await cluster[B].CliAsync("receipts", id, "--json");
        Assert.True(elsewhere.ExitCode == 5, "i4c receipts on a recipient: " + elsewhere);
        await Retry.Until(() => cluster[A].Node.Store.OfKind(Protocol.V1.RecordKind.Receipt).Count == 3 && cluster[B].Node.Store.OfKind(Protocol.V1.RecordKind.Receipt).Count == 2,
            Timeouts.Converge, () => $"A holds exactly 3 receipts (2 DELIVERED, 1 READ), B its own 2; A: {cluster[A].Node.Store.OfKind(Protocol.V1.RecordKind.Receipt).Count}, B: {cluster[B].Node.Store.OfKind(Protocol.V1.RecordKind.Receipt).Count}");
        await cluster[C].Sync.WaitInSyncAsync(TimeSpan.FromSeconds(10), CancellationToken.None).Within(Timeouts.Converge, "C syncing");
        Assert.Single(cluster[C].Node.Store.OfKind(Protocol.V1.RecordKind.Receipt)); // its own DELIVERED, never B's
    }

    private static async Task<JsonNode> WaitForReceiptsAsync(MeshCluster cluster, string id, Func<JsonNode, bool> done, string what)
    {
        JsonNode? last = null;
        var lastText = string.Empty;
        await Retry.UntilAsync(async _ =>
        {
            var result = await cluster[A].CliAsync("receipts", id, "--json");
            lastText = result.ToString();
            if (result.ExitCode != 0)
            {
                return false;
            }
            last = JsonNode.Parse(result.Stdout)!;
            return done(last);
        }, Timeouts.Converge, () => $"`i4c receipts {id[..12]} --json` on A shows {what}; last:\n{lastText}", TimeSpan.FromMilliseconds(200));
        return last!;
    }

    private static JsonNode? Recipient(JsonNode receipts, ClusterNode node) =>
        receipts["recipients"]!.AsArray().SingleOrDefault(r => r!["nodeId"]!.GetValue<string>() == node.Id.Text);

    private static bool Delivered(JsonNode recipient) => recipient["delivered"]!.GetValue<string>().Length > 0;
}
