using System.Collections.Concurrent;
using I4C.Netns.Tests.Infrastructure;
using Xunit.Abstractions;

namespace I4C.Netns.Tests;

/// <summary>
/// Four cities on one LAN, each node a real process in its own network namespace behind a Linux
/// bridge. Cards carry no endpoint (<c>--advertise none</c>) and there are no seeds: the nodes
/// find each other through mDNS or not at all.
/// </summary>
[Trait("Category", "MultiHost")]
[Collection(MultiHostCollection.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class MdnsMeshTests(FoundedMeshFixture fixture, ITestOutputHelper output) : IClassFixture<FoundedMeshFixture>
{
    private const int Hosts = FoundedMeshFixture.Hosts;

    [Fact]
    [Step(1)]
    public Task FourHosts_MdnsOnly_DiscoverEachOtherAndReplicateARecord() => fixture.Lab.RunTestAsync(output, async lab =>
    {
        // Act
        var id = await lab.PublishAsync(0, "Phishing wave against payroll (mDNS mesh)");

        // Assert: every node holds it, and every node is linked to a peer at a lab address —
        // one it can only have learned from mDNS, as no card names an endpoint.
        var holds = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var linked = new ConcurrentDictionary<string, PeerView>(StringComparer.Ordinal);
        await lab.WaitAsync($"all {Hosts} nodes to hold {id[..16]}… and to be linked to a peer on {lab.Net.Prefix}x", TestTimeouts.Converge, async () =>
        {
            // A node that has shown both is not asked again: polling is CLI processes on a busy machine.
            var pending = lab.Nodes.Where(n => !holds.ContainsKey(n.Label) || !linked.ContainsKey(n.Label)).ToList();
            var missing = await Task.WhenAll(pending.Select(async n =>
            {
                var why = new List<string>();
                if (!holds.ContainsKey(n.Label))
                {
                    if ((await n.RecordIdsAsync()).Contains(id))
                    {
                        holds[n.Label] = true;
                    }
                    else
                    {
                        why.Add($"{n.Label} lacks the record");
                    }
                }
                if (!linked.ContainsKey(n.Label))
                {
                    var peers = await n.PeersAsync();
                    if (peers.FirstOrDefault(p => p.State == "connected" && p.Endpoint.StartsWith(lab.Net.Prefix, StringComparison.Ordinal)) is { } peer)
                    {
                        linked[n.Label] = peer;
                    }
                    else
                    {
                        why.Add($"{n.Label} has no connected peer on {lab.Net.Prefix}x (peers: {string.Join(", ", peers)})");
                    }
                }
                return string.Join("; ", why);
            }));
            return missing.All(m => m.Length == 0) ? null : string.Join("; ", missing.Where(m => m.Length > 0));
        });
        lab.Log.Step("linked over the LAN: " + string.Join(", ", linked.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key} to {l.Value}")));
        Assert.Equal(Hosts, holds.Count);
        Assert.Equal(Hosts, linked.Count);
    });

    [Fact]
    [Step(2)]
    public Task LinkDown_CutOffHost_IsMarkedUnreachableAndCatchesUpAfterLinkUp() => fixture.Lab.RunTestAsync(output, async lab =>
    {
        var cut = lab.Nodes[Hosts - 1];
        var others = lab.Nodes.Take(Hosts - 1).ToList();
        var linkDown = false;
        try
        {
            // Arrange: the host to cut off (n3) is linked with at least one other node, and every
            // link it has carries the UDP session whose pings tell a live peer from a dead one.
            await lab.WaitAsync($"{cut.Label} to be linked with another node, every link with its UDP session up", TestTimeouts.Converge, async () =>
            {
                var linked = (await cut.PeersAsync()).Where(p => p.State == "connected").ToList();
                return linked.Count > 0 && linked.All(p => p.Udp) ? null : $"{cut.Label}'s links: {(linked.Count == 0 ? "none" : string.Join(", ", linked))}";
            });

            // Act 1: cut n3 off the LAN at the bridge.
            await lab.Net.SetLinkAsync(cut.Host.Index, up: false);
            linkDown = true;
            var cutAt = DateTimeOffset.UtcNow;

            // Assert 1: the others stop counting n3 as connected (UDP liveness: 5 s without an answer).
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            await lab.WaitAsync($"{string.Join(", ", others.Select(o => o.Label))} to mark {cut.Label} unreachable or not connected", TestTimeouts.Unreachable, async () =>
            {
                var views = await Task.WhenAll(others.Select(async o => (Node: o, Peers: await o.PeersAsync())));
                var missing = new List<string>();
                foreach (var (node, peers) in views)
                {
                    var row = peers.FirstOrDefault(p => p.NodeId == cut.NodeId);
                    seen[node.Label] = row?.State ?? "(not listed)";
                    if (row is { State: "connected" })
                    {
                        missing.Add($"{node.Label} still lists {cut.Label} as connected ({row})");
                    }
                }
                return missing.Count == 0 ? null : string.Join("; ", missing);
            });
            lab.Log.Step($"{cut.Label} as the others see it: {string.Join(", ", seen.Select(s => $"{s.Key}: {s.Value}"))}; " +
                $"their logs put the UDP timeout {string.Join(", ", others.Select(o => $"{o.Label}: {o.UnreachableLoggedAfter(cut.NodeId, cutAt)}"))} after the cut");
            Assert.Contains("unreachable", seen.Values);

            // Act 2: three records while n3 is cut off.
            var during = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                during.Add(await lab.PublishAsync(0, $"During the cut #{i}"));
            }

            // Assert 2: n3 does not have them (the rest of the mesh is checked to have them, so
            // this is not merely too early).
            await lab.WaitAsync($"{string.Join(", ", others.Select(o => o.Label))} to hold the 3 records", TestTimeouts.Converge, async () =>
            {
                var views = await Task.WhenAll(others.Select(async o => (Node: o, Records: await o.RecordIdsAsync())));
                var missing = views.SelectMany(v => during.Where(id => !v.Records.Contains(id)).Select(id => $"{v.Node.Label} lacks {id[..12]}")).ToList();
                return missing.Count == 0 ? null : string.Join("; ", missing);
            });
            var cutHolds = await cut.RecordIdsAsync();
            Assert.True(!during.Any(cutHolds.Contains), $"{cut.Label} received records while its link was down: {string.Join(", ", during.Where(cutHolds.Contains))}");
            lab.Log.Step($"{cut.Label} holds none of the 3 records while cut off");

            // Act 3: link back up.
            await lab.Net.SetLinkAsync(cut.Host.Index, up: true);
            linkDown = false;

            // Assert 3: n3 catches up on all three.
            await lab.WaitAsync($"{cut.Label} to catch up on the 3 records", TestTimeouts.CatchUp, async () =>
            {
                var records = await cut.RecordIdsAsync();
                var missing = during.Where(id => !records.Contains(id)).ToList();
                return missing.Count == 0 ? null : $"{cut.Label} lacks {string.Join(", ", missing.Select(id => id[..12]))} (its peers: {string.Join(", ", await cut.PeersAsync())})";
            });
        }
        finally
        {
            if (linkDown)
            {
                // Leave the LAN whole for the other test of the shared lab.
                await lab.Net.SetLinkAsync(cut.Host.Index, up: true);
            }
        }
    });
}

/// <summary>Labs run one after another: four cold node hosts at a time are plenty for a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class MultiHostCollection
{
    public const string Name = "Multi-host (network namespaces)";
}
