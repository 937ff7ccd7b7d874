using System.Diagnostics;
using I4C.Mesh.Tests.Harness;

namespace I4C.Mesh.Tests;

[Trait("Category", "Peer")]
[Trait("Category", "Slow")]
public sealed class CatchUpTests(ITestOutputHelper output)
{
    private const int History = 10_000;
    private static readonly TimeSpan CatchUpBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NewMember_JoiningAMeshWithTenThousandRecords_CatchesUpAllOfThemVerified()
    {
        // Arrange: a charter naming both cities, adopted by Bonn only, which then builds up history.
        await using var cluster = await MeshCluster.StartAsync(2, output);
        await cluster.FoundAsync(adopters: [0]);
        var load = Stopwatch.StartNew();
        var history = BulkLoad.Advisories(cluster[0], History);
        output.WriteLine($"loaded {History} records on node 0 in {load.ElapsedMilliseconds} ms");
        var expected = cluster[0].RecordCount;
        Assert.Equal(0, cluster[1].Sync.Received);

        // Act: Lyon adopts the charter and links.
        var clock = Stopwatch.StartNew();
        await cluster.AdoptAsync(1);
        var linked = await Retry.Until(() => cluster[1].Sync.Links.Count > 0, Timeouts.Converge, cluster.DescribeState);
        var caughtUp = await Retry.Until(() => cluster[1].RecordCount >= expected, CatchUpBound,
            () => $"node 1 holds {expected} records; it holds {cluster[1].RecordCount} (received {cluster[1].Sync.Received}, duplicates {cluster[1].Sync.Duplicates})",
            TimeSpan.FromMilliseconds(100));
        await cluster.WaitForStableAsync();
        var elapsed = clock.Elapsed;

        // Assert
        var received = cluster[1].Sync.Received;
        var duplicates = cluster[1].Sync.Duplicates;
        var bytes = cluster.ProxiesBetween(1, 0).Sum(p => p.BytesForwarded);
        output.WriteLine($"catch-up of {History} records: link up after {linked.TotalMilliseconds:0} ms, all records after {caughtUp.TotalMilliseconds:0} ms, stable after {elapsed.TotalMilliseconds:0} ms; " +
            $"{received} records stored, {duplicates} duplicate deliveries, {bytes / 1024} KiB over the link proxy ({History / caughtUp.TotalSeconds:0} records/s)");
        Assert.True(elapsed < CatchUpBound, $"catch-up took {elapsed.TotalSeconds:0.0} s");
        var ids = cluster[1].RecordIds();
        Assert.All(history, id => Assert.Contains(id, ids));
        var verify = cluster[1].Node.Verify();
        Assert.Empty(verify.Failures);
        Assert.True(verify.Checked >= History, $"verify checked only {verify.Checked} records");
        Assert.Equal(verify.Checked, verify.PayloadsChecked);
    }
}
