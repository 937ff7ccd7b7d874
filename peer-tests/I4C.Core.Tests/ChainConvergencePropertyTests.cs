using CsCheck;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Core.Tests;

/// <summary>
/// Whatever order a chain's records arrive in, re-offering the ones refused for a gap
/// ends with the same stored set and a chain that verifies.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChainConvergencePropertyTests
{
    private static readonly Tlp[] NonRed = [Tlp.Clear, Tlp.Green, Tlp.Amber, Tlp.AmberStrict];

    /// <summary>A draft: a TLP other than RED and random bytes wrapped into a valid Advisory.</summary>
    private static readonly Gen<(Tlp Tlp, byte[] Bytes)> GenDraft =
        Gen.Select(Gen.OneOf(NonRed), Gen.Byte.Array[0, 48]);

    private static readonly Gen<((Tlp Tlp, byte[] Bytes)[] Drafts, int Seed)> GenCase =
        Gen.Select(GenDraft.Array[1, 12], Gen.Int);

    private static RecordDraft ToDraft((Tlp Tlp, byte[] Bytes) d, int index) => new()
    {
        Kind = RecordKind.Advisory,
        Tlp = d.Tlp,
        Payload = new Advisory
        {
            Title = $"advisory {index}",
            Body = Convert.ToBase64String(d.Bytes),
            Tags = { Convert.ToHexString(d.Bytes) },
        }.ToByteArray(),
    };

    /// <summary>Signs the drafts in chain order, one second apart.</summary>
    private static List<ValidatedRecord> SignChain(NodeIdentity author, (Tlp, byte[])[] drafts, RecordValidator validator, Microsoft.Extensions.Time.Testing.FakeTimeProvider time)
    {
        var records = new List<ValidatedRecord>();
        RecordId prev = default;
        for (var i = 0; i < drafts.Length; i++)
        {
            var wire = RecordWriter.Sign(author, ToDraft(drafts[i], i), (ulong)i + 1, prev, time.GetUtcNow());
            var record = validator.MustValidate(wire);
            records.Add(record);
            prev = record.Id;
            time.Advance(TimeSpan.FromSeconds(1));
        }
        return records;
    }

    private static void AssertChainVerifies(RecordStore store, RecordValidator validator, NodeId author, IReadOnlyList<ValidatedRecord> expected)
    {
        var all = store.ReadAll();
        Assert.Equal(expected.Select(r => r.Id).ToHashSet(), all.Select(r => r.Id).ToHashSet());
        RecordId head = default;
        ulong seq = 0;
        foreach (var stored in all)
        {
            var result = validator.Validate(stored.HeaderBytes, stored.Signature, stored.Payload);
            Assert.True(result.IsValid, result.Rejection?.ToString());
            Assert.Equal(stored.Id, result.Record!.Id);
            Assert.Equal(ChainVerdict.Extends, ChainRules.Check(result.Record, new ChainState(seq, head, null)).Verdict);
            seq = stored.Header.Seq;
            head = stored.Id;
        }
        Assert.Equal((seq, head), store.GetHead(author, Channels.Mesh));
        Assert.Equal((ulong)expected.Count, seq);
    }

    [Fact]
    public void Insert_ChainInRandomOrderReofferingGaps_ConvergesToTheSameVerifiedChain()
    {
        GenCase.Sample((drafts, seed) =>
        {
            // Arrange
            var time = TestClock.Create();
            var validator = new RecordValidator(RecordLimits.Default, time);
            using var author = NodeIdentity.Create();
            var records = SignChain(author, drafts, validator, time);
            using var store = RecordStore.Open(":memory:", time);
            var random = new Random(seed);
            var pending = records.ToList();
            var rounds = 0;

            // Act: offer in a random order; keep only the ones refused for a gap.
            while (pending.Count > 0)
            {
                Assert.True(++rounds <= records.Count, $"no convergence after {records.Count} rounds");
                var order = pending.ToArray();
                random.Shuffle(order);
                pending.Clear();
                foreach (var record in order)
                {
                    var outcome = store.Insert(record);
                    if (outcome.Status == StoreStatus.Rejected)
                    {
                        Assert.Equal(RejectReason.ChainGap, outcome.Rejection!.Reason);
                        pending.Add(record);
                    }
                    else
                    {
                        Assert.Equal(StoreStatus.Stored, outcome.Status);
                    }
                }
            }

            // Assert
            AssertChainVerifies(store, validator, author.Id, records);
            foreach (var record in records)
            {
                Assert.Equal(StoreStatus.Duplicate, store.Insert(record).Status);
            }
            Assert.Equal(records.Count, store.Counts().Total);
            Assert.Empty(store.ForkProofs());
        }, iter: 100);
    }

    [Fact]
    public void InsertBatch_ChainInRandomOrderWithRepeats_ConvergesToTheSameVerifiedChain()
    {
        GenCase.Sample((drafts, seed) =>
        {
            // Arrange
            var time = TestClock.Create();
            var validator = new RecordValidator(RecordLimits.Default, time);
            using var author = NodeIdentity.Create();
            var records = SignChain(author, drafts, validator, time);
            using var store = RecordStore.Open(":memory:", time);
            var random = new Random(seed);
            var stored = new HashSet<RecordId>();
            var rounds = 0;

            // Act: every round offers the whole chain, shuffled, as one batch; records
            // stored in an earlier round come back as duplicates.
            while (stored.Count < records.Count)
            {
                Assert.True(++rounds <= records.Count, $"no convergence after {records.Count} rounds");
                var order = records.ToArray();
                random.Shuffle(order);
                var outcomes = store.InsertBatch(order);
                for (var i = 0; i < order.Length; i++)
                {
                    var expected = stored.Contains(order[i].Id) ? StoreStatus.Duplicate : outcomes[i].Status;
                    Assert.Equal(expected, outcomes[i].Status);
                    if (outcomes[i].Status == StoreStatus.Rejected)
                    {
                        Assert.Equal(RejectReason.ChainGap, outcomes[i].Rejection!.Reason);
                    }
                    else if (outcomes[i].Status == StoreStatus.Stored)
                    {
                        Assert.True(stored.Add(order[i].Id));
                    }
                }
            }

            // Assert
            AssertChainVerifies(store, validator, author.Id, records);
            Assert.All(store.InsertBatch(records), o => Assert.Equal(StoreStatus.Duplicate, o.Status));
        }, iter: 100);
    }
}
