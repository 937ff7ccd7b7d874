using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using I4C.Core.Interop.Stix;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Interop;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// TLP:RED never leaves through STIX: on the author's and the recipient's node, with the export ceiling at its
/// highest (AMBER+STRICT), neither <c>i4c export stix</c> nor the TAXII collection carries a RED record, its
/// indicators or the RED marking, while the AMBER+STRICT record for the same recipient does appear.
/// </summary>
[Trait("Category", "Peer")]
public sealed class StixTlpTests(ITestOutputHelper output)
{
    private const int A = 0, B = 1;

    [Fact]
    public async Task RedRecord_AuthorAndRecipient_NeverInStixExportNorTaxii()
    {
        // Arrange
        await using var cluster = await MeshCluster.StartAsync(2, output, new MeshClusterOptions
        {
            Configure = (_, options) => options with { ExportMaxTlp = Tlp.AmberStrict },
        });
        await cluster.FoundAsync();
        await cluster.WaitForStableAsync();
        var (channel, admin) = cluster[A].AdminClient();
        string redId, strictId;
        using (channel)
        {
            var red = new PublishRequest { Tlp = Tlp.Red, Advisory = new Advisory { Title = "RED canary advisory", Body = "Only for B." } };
            red.Advisory.Indicators.Add(new Indicator { Type = "domain", Value = "red-canary.example", ToIds = true });
            red.To.Add(cluster[B].Id.Text);
            redId = (await admin.PublishAsync(red)).Id;
            var strict = new PublishRequest { Tlp = Tlp.AmberStrict, Advisory = new Advisory { Title = "Strict advisory", Body = "For B's CERT." } };
            strict.Advisory.Indicators.Add(new Indicator { Type = "domain", Value = "strict.example", ToIds = true });
            strict.To.Add(cluster[B].Id.Text);
            strictId = (await admin.PublishAsync(strict)).Id;
        }
        await Retry.Until(() => cluster[B].Holds(RecordId.TryParse(redId, out var r) ? r : throw new InvalidOperationException())
                && cluster[B].Holds(RecordId.TryParse(strictId, out var s) ? s : throw new InvalidOperationException()),
            Timeouts.Converge, () => "B holds the RED and the AMBER+STRICT record; " + cluster.DescribeState());
        var collection = TaxiiEndpoints.CollectionsFor(Tlp.AmberStrict).Single(c => c.Ceiling == Tlp.AmberStrict).Id;

        foreach (var i in new[] { A, B })
        {
            // Act
            var file = Path.Combine(cluster.NewDirectory("export"), "bundle.json");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var result = await cluster[i].CliAsync("export", "stix", "--out", file, "--max-tlp", "amber+strict");
            var bundle = await File.ReadAllTextAsync(file);
            using var http = new HttpClient { BaseAddress = new Uri(cluster[i].Running.HttpUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster[i].Running.Data.ReadAdminToken());
            http.DefaultRequestHeaders.TryAddWithoutValidation("Accept", TaxiiEndpoints.MediaType);
            var taxii = await http.GetStringAsync(new Uri($"/taxii2/api/collections/{collection}/objects/?limit=1000", UriKind.Relative));

            // Assert
            Assert.True(result.ExitCode == 0, $"{cluster[i]}: {result}");
            foreach (var (what, text) in new[] { ("export", bundle), ("TAXII", taxii) })
            {
                Assert.Contains("Strict advisory", text, StringComparison.Ordinal);
                Assert.Contains(StixMarkings.AmberStrict, text, StringComparison.Ordinal);
                Assert.DoesNotContain("red-canary", text, StringComparison.Ordinal);
                Assert.DoesNotContain("RED canary", text, StringComparison.Ordinal);
                Assert.DoesNotContain(StixMarkings.Red, text, StringComparison.Ordinal);
                Assert.DoesNotContain(StixIds.ForRecord("report", redId), text, StringComparison.Ordinal);
                output.WriteLine($"{cluster[i]} {what}: {text.Length} characters, no RED");
            }
            Assert.NotNull(JsonNode.Parse(taxii)!["objects"]);
        }
    }
}
