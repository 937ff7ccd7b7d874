using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Protocol.V1;

namespace I4C.Node.Mesh;

/// <summary>
/// One live link with a member: the bidirectional Link stream, whichever side dialed.
/// Frames to send go through a queue drained by one writer loop, so the read loop never
/// blocks on the peer (no write/write deadlock); bulk record batches wait for room in a
/// small window so a slow peer cannot make the queue grow without bound.
/// </summary>
public sealed class Link
{
    public const int BulkWindow = 4;

    private readonly IAsyncStreamReader<LinkFrame> _reader;
    private readonly IAsyncStreamWriter<LinkFrame> _writer;
    private readonly Channel<(LinkFrame Frame, bool Bulk)> _outgoing = Channel.CreateUnbounded<(LinkFrame, bool)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _bulkWindow = new(BulkWindow, BulkWindow);
    private readonly CancellationTokenSource _cts;
    private int _queued;
    private long _headsSent;

    public Link(NodeId peer, string name, bool outbound, IAsyncStreamReader<LinkFrame> reader, IAsyncStreamWriter<LinkFrame> writer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Peer = peer;
        Name = name;
        Outbound = outbound;
        _reader = reader;
        _writer = writer;
        ConnectedSince = now;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public NodeId Peer { get; }
    public string Name { get; }
    public bool Outbound { get; }
    public DateTimeOffset ConnectedSince { get; }
    public string Endpoint { get; init; } = string.Empty;

    /// <summary>The node id of whoever dialed this link.</summary>
    public NodeId? Dialer { get; init; }

    public int PeerUdpPort { get; set; }
    public long LastSyncUnixMs { get; set; }
    public bool HelloReceived { get; set; }

    /// <summary>
    /// Most records per Records frame sent to this peer: the smaller of this node's limit and what the
    /// peer's Hello stated (256, what every node accepts, until it arrives or when it states nothing).
    /// </summary>
    public int MaxRecordsPerFrame { get; set; } = MeshOptions.LegacyMaxBatchRecords;

    /// <summary>
    /// The store stage of the last Records frame read from this link, still running while the next
    /// frame is read and validated (see SyncEngine.OnRecordsAsync); null when none is pending. Only the
    /// link's read loop touches it.
    /// </summary>
    internal Task? PendingRecords { get; set; }
    public string? CloseReason { get; private set; }
    public CancellationToken Token => _cts.Token;

    /// <summary>Takes the serial of the next Heads frame queued on this link (1, 2, …): call it before queuing the frame.</summary>
    internal ulong NextHeadsSerial() => (ulong)Interlocked.Increment(ref _headsSent);

    /// <summary>Serials taken so far: every Heads frame with a serial up to this was queued before now, or is about to be.</summary>
    internal ulong HeadsSent => (ulong)Interlocked.Read(ref _headsSent);

    /// <summary>
    /// Per chain (SyncEngine's key), the highest seq a stream queued on this link and <see cref="HeadsSent"/> just after it
    /// was queued. A Want answering a Heads frame with a serial up to that asks again for what is already on its way.
    /// </summary>
    internal ConcurrentDictionary<string, (ulong Seq, ulong HeadsSerial)> StreamedThrough { get; } = new(StringComparer.Ordinal);

    /// <summary>Frames waiting to be written.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Queues a control frame (never blocks).</summary>
    public bool TrySend(LinkFrame frame)
    {
        if (_outgoing.Writer.TryWrite((frame, false)))
        {
            Interlocked.Increment(ref _queued);
            return true;
        }
        return false;
    }

    /// <summary>Waits while <see cref="BulkWindow"/> bulk frames are unwritten (flow control); then <see cref="QueueBulk"/> takes the room.</summary>
    public Task WaitForBulkRoomAsync() => _bulkWindow.WaitAsync(_cts.Token);

    /// <summary>Queues a bulk frame in the room <see cref="WaitForBulkRoomAsync"/> gave (never blocks).</summary>
    public void QueueBulk(LinkFrame frame)
    {
        if (!_outgoing.Writer.TryWrite((frame, true)))
        {
            _bulkWindow.Release();
            throw new OperationCanceledException("link closed");
        }
        Interlocked.Increment(ref _queued);
    }

    public void Close(string reason)
    {
        CloseReason ??= reason;
        _outgoing.Writer.TryComplete();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Runs the read and write loops until either ends or the link is closed.</summary>
    public async Task RunAsync(Func<Link, LinkFrame, ValueTask> handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var writer = WriteLoopAsync();
        try
        {
            while (await _reader.MoveNext(_cts.Token).ConfigureAwait(false))
            {
                await handle(this, _reader.Current).ConfigureAwait(false);
            }
            Close("peer closed the link");
        }
        finally
        {
            Close(CloseReason ?? "link ended");
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception) when (_cts.IsCancellationRequested)
            {
            }
            _cts.Dispose();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var (frame, bulk) in _outgoing.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _queued);
                try
                {
                    await _writer.WriteAsync(frame, _cts.Token).ConfigureAwait(false);
                }
                finally
                {
                    if (bulk)
                    {
                        _bulkWindow.Release();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            Close("write failed: " + (ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.GetType().Name));
        }
    }
}
