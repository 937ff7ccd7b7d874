using Microsoft.Data.Sqlite;

namespace I4C.Storage;

/// <summary>
/// Copies committed pages from the write-ahead log into the database file on its own connection
/// and thread, so the store's writer does not. With SQLite's automatic checkpoint alone, the commit
/// that takes the WAL past its threshold copies the whole log and waits for two flushes to disk
/// before it returns: during a catch-up that stalled the store stage (and with it the link) for
/// a fifth of the time. Here each commit nudges this thread with about how many bytes it wrote; it
/// runs a PASSIVE checkpoint once <see cref="BytesThreshold"/> have been committed since the last
/// one (checking every <see cref="Interval"/>), or <see cref="IdleDelay"/> after the first commit
/// it has not copied yet, whichever comes first. A checkpoint copies what is committed, never
/// waits for the writer or readers, and once it has copied everything the writer's next
/// transaction starts the log from the beginning again. The writer's own automatic checkpoint
/// stays as the bound on the log's size (it finds little left to copy when this thread keeps up).
/// </summary>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>How often a pending checkpoint checks whether enough has been committed.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Committed bytes that make a checkpoint run at the next <see cref="Interval"/>: a catch-up's batches are copied every few frames.</summary>
    public const long BytesThreshold = 4 * 1024 * 1024;

    /// <summary>The longest a commit waits to be copied: a trickle of small commits (a mesh's records as they are published) is copied about once a second, not after each one.</summary>
    public static readonly TimeSpan IdleDelay = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private SqliteConnection? _connection;
    private int _nudged;
    private long _pendingBytes;
    private long _checkpoints;

    public WalCheckpointer(string path)
    {
        _path = path;
        _thread = new Thread(Run) { IsBackground = true, Name = "i4c-wal-checkpoint" };
        _thread.Start();
    }

    /// <summary>Checkpoints run so far.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Frames in the log and frames copied into the database file, as the last checkpoint found them.</summary>
    public (long LogFrames, long CopiedFrames) Last { get; private set; }

    /// <summary>Why the last checkpoint failed, if it did (the next nudge tries again; the writer's automatic checkpoint still bounds the log).</summary>
    public string? LastError { get; private set; }

    /// <summary>Something was committed (about <paramref name="bytes"/> of records; 0 when unknown or small): checkpoint soon. Never blocks.</summary>
    public void Nudge(long bytes)
    {
        Interlocked.Add(ref _pendingBytes, bytes);
        if (Interlocked.Exchange(ref _nudged, 1) == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Run()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                _signal.Wait(token);
                // Let the commits of the next moment gather, then copy them in one go.
                var deadline = Environment.TickCount64 + (long)IdleDelay.TotalMilliseconds;
                do
                {
                    token.WaitHandle.WaitOne(Interval);
                    token.ThrowIfCancellationRequested();
                }
                while (Interlocked.Read(ref _pendingBytes) < BytesThreshold && Environment.TickCount64 < deadline);
                Interlocked.Exchange(ref _pendingBytes, 0);
                Volatile.Write(ref _nudged, 0);
                CheckpointOnce();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CheckpointOnce()
    {
        try
        {
            _connection ??= RecordStore.OpenConnection(_path);
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                Last = (reader.GetInt64(1), reader.GetInt64(2));
            }
            LastError = null;
            Interlocked.Increment(ref _checkpoints);
        }
        catch (SqliteException ex)
        {
            // Busy (another checkpoint is running) or an I/O error: the next nudge tries again.
            LastError = ex.Message;
        }
    }

    /// <summary>Stops the thread and closes its connection (before the store closes its own, which then checkpoints and removes the log).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _connection?.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }
}
