using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Mesh.Tests.Harness;
using I4C.Node.Mesh;
using I4C.Protocol.V1;

namespace I4C.Mesh.Tests;

/// <summary>
/// Records per frame: each side states in its Hello how many records it accepts in one Records frame,
/// and the other never sends more; a peer that sends more than this node stated is penalised.
/// </summary>
[Trait("Category", "Peer")]
public sealed class BatchLimitTests(ITestOutputHelper output)
{
    private const int History = 600;

    [Theory]
    [InlineData(0u, MeshOptions.LegacyMaxBatchRecords)] // a node that predates the field: 256
    [InlineData(100u, 100)]
    public async Task PeerStatingASmallerLimit_GetsTheRangeInFramesNoLargerThanIt(uint stated, int expectedLimit)
    {
        // Arrange
        await using var lab = await ChainLab.StartAsync(output, stated);

        // Act
        var frames = await lab.WantAllAsync();

        // Assert: every record, in chain order, and no frame beyond the stated limit.
        Assert.All(frames, f => Assert.InRange(f.Records_.Count, 1, expectedLimit));
        Assert.Contains(frames, f => f.Records_.Count == expectedLimit);
        Assert.Equal(Enumerable.Range(1, (int)lab.Head).Select(i => (ulong)i), frames.SelectMany(f => f.Records_).Select(Seq));
    }

    [Fact]
    public async Task PeerStatingTheDefaultLimit_GetsTheWholeRangeInOneFrame()
    {
        // Arrange: 600+ records of 1 KiB fit in one frame of at most MaxBatchRecords (2048) records and 2 MiB.
        await using var lab = await ChainLab.StartAsync(output, (uint)new MeshOptions().MaxBatchRecords);

        // Act
        var frames = await lab.WantAllAsync();

        // Assert
        var frame = Assert.Single(frames);
        Assert.Equal((int)lab.Head, frame.Records_.Count);
        Assert.True(frame.Records_.Count > MeshOptions.LegacyMaxBatchRecords);
    }

    [Fact]
    public async Task NodeStatesItsLimitInItsHello_AndPenalisesAFrameBeyondIt()
    {
        // Arrange
        await using var lab = await ChainLab.StartAsync(output, 0, bulk: 0);
        lab.Cluster.Expect("ProtocolViolation", node: 0);
        lab.Cluster.Expect("PeerPenalised", node: 0);
        var limit = new MeshOptions().MaxBatchRecords;
        var hello = lab.Link.Received.First(f => f.BodyCase == LinkFrame.BodyOneofCase.Hello).Hello;
        var node = lab.Cluster[0];
        var before = node.Scores.ScoreOf(lab.Member.Id);
        var duplicates = node.Sync.Duplicates;
        var oversized = new Records { Eager = false };
        oversized.Records_.AddRange(Enumerable.Repeat(lab.Member.CardRecord, limit + 1));

        // Act
        await lab.Link.SendAsync(new LinkFrame { Records = oversized });

        // Assert: the node stated its limit, refused the frame one record over it as a whole and lowered the sender's score.
        Assert.Equal((uint)limit, hello.MaxBatchRecords);
        await Retry.Until(() => node.Scores.ScoreOf(lab.Member.Id) < before, Timeouts.Call, "node 0 penalises the oversized batch");
        Assert.True(lab.Cluster.Logs.Has("ProtocolViolation", 0));
        Assert.Equal(duplicates, node.Sync.Duplicates);
    }

    private static ulong Seq(SignedRecord record) => RecordHeader.Parser.ParseFrom(record.Header).Seq;

    /// <summary>A <see cref="RawMemberLab"/> whose node 0 holds <see cref="History"/> records of its own, asked for all of them.</summary>
    private sealed class ChainLab : IAsyncDisposable
    {
        private readonly RawMemberLab _lab;

        private ChainLab(RawMemberLab lab, ulong head) => (_lab, Head) = (lab, head);

        public MeshCluster Cluster => _lab.Cluster;

        public HostileMember Member => _lab.Member;

        public RawLink Link => _lab.Link;

        /// <summary>Node 0's head seq on its mesh chain.</summary>
        public ulong Head { get; }

        public static async Task<ChainLab> StartAsync(ITestOutputHelper output, uint stated, int bulk = History)
        {
            var lab = await RawMemberLab.StartAsync(output, "Grad Rijeka", stated, cluster =>
            {
                if (bulk > 0)
                {
                    BulkLoad.Advisories(cluster[0], bulk);
                }
            });
            return new ChainLab(lab, lab.Cluster[0].Node.Store.GetHead(lab.Cluster[0].Id, Channels.Mesh).Seq);
        }

        /// <summary>Asks node 0 for its whole chain and returns the Records frames that answer, once they hold every seq.</summary>
        public async Task<IReadOnlyList<Records>> WantAllAsync()
        {
            var author = ByteString.CopyFrom(Cluster[0].Id.ToBytes());
            var channel = ByteString.CopyFrom(Channels.Mesh);
            await Link.SendAsync(new LinkFrame { Want = new Want { Ranges = { new ChainRange { Author = author, Channel = channel, FromSeq = 1, ToSeq = Head } } } });
            List<Records> Answers() => Link.Received.Where(f => f.BodyCase == LinkFrame.BodyOneofCase.Records && !f.Records.Eager)
                .Select(f => f.Records).Where(r => r.Records_.Count > 0 && RecordHeader.Parser.ParseFrom(r.Records_[0].Header).Author == author).ToList();
            await Retry.Until(() => Answers().Sum(r => r.Records_.Count) >= (int)Head, Timeouts.Converge,
                () => $"the member receives node 0's {Head} records; it has {Answers().Sum(r => r.Records_.Count)}");
            return Answers();
        }

        public ValueTask DisposeAsync() => _lab.DisposeAsync();
    }
}
