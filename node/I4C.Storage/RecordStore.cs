using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace I4C.Storage;

/// <summary>What happened to one record offered to the store.</summary>
public enum StoreStatus
{
    Stored,
    Duplicate,
    Rejected,
}

public readonly record struct StoreOutcome(RecordId Id, StoreStatus Status, Rejection? Rejection);

/// <summary>A record as the store holds it: the bytes as received, plus local bookkeeping.</summary>
public sealed record StoredRecord(
    RecordId Id,
    byte[] HeaderBytes,
    byte[] Signature,
    byte[]? Payload,
    RecordHeader Header,
    long ReceivedUnixMs,
    long? PurgedUnixMs,
    string? PurgeReason)
{
    public NodeId Author => NodeId.FromPublicKey(Header.Author.Span);

    public bool IsPurged => PurgedUnixMs is not null;

    /// <summary>The record as sent to a peer. Wraps the arrays without copying: a stored record's bytes are never written after they are read.</summary>
    public SignedRecord ToWire()
    {
        var wire = new SignedRecord { Header = UnsafeByteOperations.UnsafeWrap(HeaderBytes), Signature = UnsafeByteOperations.UnsafeWrap(Signature) };
        if (Payload is not null)
        {
            wire.Payload = UnsafeByteOperations.UnsafeWrap(Payload);
        }
        return wire;
    }
}

/// <summary>Two headers one author signed for the same (channel, seq).</summary>
public sealed record ForkProof(NodeId Author, byte[] Channel, ulong Seq, RecordId FirstId, RecordId SecondId, byte[] SecondHeader, byte[] SecondSignature, long DetectedUnixMs);

/// <summary>One line of the audit log.</summary>
public sealed record AuditEntry(RecordId Record, NodeId Peer, Tlp Tlp, RecordKind Kind, long SentUnixMs);

/// <summary>The head of one (author, channel) chain, with the channel's audience (empty = all members) and whether it is a RED chain.</summary>
public sealed record ChainHead(byte[] Author, byte[] Channel, ulong Seq, RecordId HeadId, IReadOnlyList<byte[]> Audience, bool Red);

public sealed record StoreCounts(IReadOnlyList<(RecordKind Kind, Tlp Tlp, long Count)> ByKindAndTlp, long Total, long Purged);

/// <summary>
/// The node's only store: SQLite in WAL mode with synchronous=FULL, so a record is on
/// disk before the node acknowledges it, and a crash mid-write leaves no half-written
/// record (every write is one transaction). Inserts are idempotent by record id and
/// enforce the per-(author, channel) chain. Purges delete the payload and keep the
/// header, so chains still verify. Thread-safe: one connection behind a lock.
/// </summary>
public sealed class RecordStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // Prepared statements of the hot paths, by SQL text: Microsoft.Data.Sqlite keeps a command's
    // compiled statement between executions, so re-binding parameters skips SQLite's parser and
    // planner (six statements per stored record). Used only under _gate, like the connection.
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    // Copies the WAL into the database file off the writer's path; null for an in-memory database.
    private WalCheckpointer? _checkpointer;

    // Retractions stored before their target (rows of the retractions table whose target is not
    // stored), or more: never fewer. While it is zero, storing a record skips the per-record query
    // for a retraction waiting for it. Under _gate; moves only when a transaction commits.
    private long _pendingRetractions;

    // The prepared insert of a record's row (InsertRecordRow); under _gate, finalized before the connection closes.
    private sqlite3_stmt? _insertRecord;
    private sqlite3_stmt? _rangeRecords;
    private sqlite3_stmt? _insertRecentId;

    // Entries in recent_ids, the small tier of the id index (schema 9): counted at open, raised by
    // each committed batch, and back to zero when a batch moves them into record_ids.
    private long _recentIds;

    private RecordStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    public string Path { get; private init; } = string.Empty;

    public int SchemaVersion { get; private set; }

    /// <summary>
    /// How many ids recent_ids holds before a batch moves them into record_ids (schema 9). Each
    /// stored batch rewrites the pages of recent_ids it touches (at most about 18 of 16 KiB at this
    /// size); the move rewrites each page of record_ids at most once for this many records.
    /// </summary>
    public const int DefaultRecentIdsLimit = 16_384;

    /// <summary>This store's limit of ids in recent_ids (<see cref="DefaultRecentIdsLimit"/> unless opened with another).</summary>
    public int RecentIdsLimit { get; private init; } = DefaultRecentIdsLimit;

    /// <summary>Opens (creating if needed) the database and applies pending migrations.</summary>
    public static RecordStore Open(string path, TimeProvider time, int recentIdsLimit = DefaultRecentIdsLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(recentIdsLimit, 1);
        var connection = OpenConnection(path);
        try
        {
            Migrations.Apply(connection);
            var store = new RecordStore(connection, time) { Path = path, SchemaVersion = Migrations.CurrentVersion(connection), RecentIdsLimit = recentIdsLimit };
            store.RebuildHeadsIfMissing();
            store._pendingRetractions = store.CountPendingRetractions();
            store._recentIds = store.ScalarLong(null, "SELECT count(*) FROM recent_ids") ?? 0;
            if (store.ScalarText("PRAGMA journal_mode") == "wal")
            {
                store._checkpointer = new WalCheckpointer(path);
            }
            return store;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Page size of a new database: 16 KiB. A stored record (header, signature, 1 KiB payload) takes
    /// about 1.5 KiB, so 4 KiB pages held two and left a quarter unused; with 16 KiB pages the file is a
    /// quarter smaller and storing a batch writes fewer, larger WAL frames (a third less time per
    /// record, docs/benchmarks.md). An existing database keeps the page size it was created with.
    /// </summary>
    public const int NewDatabasePageSize = 16 * 1024;

    /// <summary>The WAL size, in bytes, at which a commit checkpoints on the writer's own path (the background checkpointer normally keeps it far below).</summary>
    public const int WalCheckpointBytes = 40 * 1024 * 1024;

    /// <summary>A connection with the node's pragmas: WAL, synchronous=FULL, secure_delete, foreign keys.</summary>
    public static SqliteConnection OpenConnection(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        // page_size first: it only takes effect before the file's first page is written.
        pragma.CommandText = $"""
            PRAGMA page_size = {NewDatabasePageSize};
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA secure_delete = ON;
            PRAGMA foreign_keys = ON;
            PRAGMA busy_timeout = 5000;
            PRAGMA cache_size = -16384;
            """;
        pragma.ExecuteNonQuery();
        pragma.CommandText = "PRAGMA page_size";
        var pageSize = Convert.ToInt64(pragma.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        pragma.CommandText = $"PRAGMA wal_autocheckpoint = {WalCheckpointBytes / Math.Max(512, pageSize)}";
        pragma.ExecuteNonQuery();
        if (!OperatingSystem.IsWindows())
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                if (File.Exists(file))
                {
                    File.SetUnixFileMode(file, SecureFile.OwnerOnly);
                }
            }
        }
        return connection;
    }

    public StoreOutcome Insert(ValidatedRecord record) => InsertBatch([record])[0];

    /// <summary>
    /// Stores a batch in one transaction. Each record is checked against the chain as it
    /// stands including the earlier records of the batch; a bad record is reported and
    /// skipped, never poisoning the good ones. Durable: the commit is on disk (fsync) when
    /// this returns.
    /// </summary>
    public IReadOnlyList<StoreOutcome> InsertBatch(IReadOnlyList<ValidatedRecord> records) => InsertBatch(records, durable: true);

    /// <summary>
    /// Stores a batch in one transaction, as <see cref="InsertBatch(IReadOnlyList{ValidatedRecord})"/>.
    /// With <paramref name="durable"/> false the commit is not flushed to disk on its own
    /// (<c>synchronous=NORMAL</c> for this transaction): it survives a crash of the process
    /// (the WAL is written before this returns) but may be lost with the machine (power loss,
    /// kernel crash) until the next durable commit or checkpoint, which flushes the WAL with
    /// everything before it. For records received from peers, which anti-entropy fetches
    /// again if they are lost; never for what this node acknowledges (its own publishes).
    /// </summary>
    public IReadOnlyList<StoreOutcome> InsertBatch(IReadOnlyList<ValidatedRecord> records, bool durable)
    {
        ArgumentNullException.ThrowIfNull(records);
        var outcomes = new StoreOutcome[records.Count];
        lock (_gate)
        {
            if (!durable)
            {
                Pragma("PRAGMA synchronous = NORMAL");
            }
            try
            {
                using var transaction = _connection.BeginTransaction();
                var batch = new BatchState { PendingRetractions = _pendingRetractions };
                for (var i = 0; i < records.Count; i++)
                {
                    outcomes[i] = InsertOne(records[i], transaction, batch);
                }
                WriteHeads(transaction, batch);
                var recentIds = _recentIds + outcomes.Count(o => o.Status == StoreStatus.Stored);
                if (recentIds >= RecentIdsLimit)
                {
                    MoveRecentIds(transaction);
                    recentIds = 0;
                }
                Commit(transaction, records.Sum(r => (long)r.HeaderBytes.Length + r.Signature.Length + (r.Payload?.Length ?? 0)));
                _pendingRetractions = batch.PendingRetractions;
                _recentIds = recentIds;
            }
            finally
            {
                if (!durable)
                {
                    Pragma("PRAGMA synchronous = FULL");
                }
            }
        }
        return outcomes;
    }

    /// <summary>The connection's current <c>PRAGMA synchronous</c> (2 = FULL, 1 = NORMAL).</summary>
    internal long SynchronousLevel()
    {
        lock (_gate)
        {
            return ScalarLong(null, "PRAGMA synchronous") ?? -1;
        }
    }

    private void Pragma(string sql)
    {
        var command = Prepared(null, sql, []);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// What a batch carries from one record to the next. The heads of the chains it touches, as the
    /// batch moves them: read from the heads table once per chain, then carried in memory, and
    /// written back once per chain at the end of the batch (<see cref="WriteHeads"/>), instead of a
    /// read and an upsert per record. And the count of pending retractions as the batch changes it
    /// (the store's count is replaced by it only when the batch commits).
    /// </summary>
    private sealed class BatchState
    {
        public Dictionary<(ByteString Author, ByteString Channel), Entry> Chains { get; } = [];

        public long PendingRetractions { get; set; }

        public sealed class Entry
        {
            public ulong Seq { get; set; }
            public RecordId Id { get; set; }
            public bool Moved { get; set; }
            public byte[] Audience { get; set; } = [];
            public bool Red { get; set; }
        }
    }

    private StoreOutcome InsertOne(ValidatedRecord record, SqliteTransaction tx, BatchState batch)
    {
        var header = record.Header;
        var author = header.Author.ToByteArray();
        var channel = header.Channel.ToByteArray();
        if (!batch.Chains.TryGetValue((header.Author, header.Channel), out var head))
        {
            var (seq, id) = Head(tx, author, channel);
            head = new BatchState.Entry { Seq = seq, Id = id };
            batch.Chains[(header.Author, header.Channel)] = head;
        }
        // Chains are stored without gaps, so a record beyond the head cannot have a stored twin.
        var existing = header.Seq > head.Seq
            ? null
            : ScalarBlob(tx, "SELECT id FROM records WHERE author = $a AND channel = $c AND seq = $s",
                ("$a", author), ("$c", channel), ("$s", (long)header.Seq));
        var state = new ChainState(head.Seq, head.Id, existing is null ? null : RecordId.FromBytes(existing));
        var (verdict, rejection) = ChainRules.Check(record, state);
        if (verdict == ChainVerdict.Duplicate)
        {
            FillMissingPayload(record, tx);
            return new(record.Id, StoreStatus.Duplicate, null);
        }
        if (verdict == ChainVerdict.Rejected)
        {
            if (rejection!.Reason == RejectReason.Equivocation)
            {
                Execute(tx, """
                    INSERT OR IGNORE INTO fork_proofs (author, channel, seq, first_id, second_id, second_header, second_signature, detected_ms)
                    VALUES ($a, $c, $s, $f, $i, $h, $g, $t)
                    """,
                    ("$a", author), ("$c", channel), ("$s", (long)header.Seq), ("$f", existing!), ("$i", record.Id.ToArray()),
                    ("$h", record.HeaderBytes), ("$g", record.Signature), ("$t", Now()));
            }
            return new(record.Id, StoreStatus.Rejected, rejection);
        }

        RecordId? retractTarget = null;
        var targetStored = false;
        if (header.Kind == RecordKind.Retraction)
        {
            var target = RecordId.FromBytes(header.References.First(r => r.Type == ReferenceType.Retracts).RecordId.Span);
            // Whether a retraction may take effect depends on its target, which this node may
            // see later or never (another channel). Refusing the record would make the outcome
            // depend on arrival order and block the author's chain on this node only, so a
            // retraction of another author's record, or of a retraction, is stored without effect.
            var targetRow = ScalarBlob(tx, "SELECT author FROM records WHERE " + IdIs("id", "$id"), ("$id", target.ToArray()));
            var targetKind = ScalarLong(tx, "SELECT kind FROM records WHERE " + IdIs("id", "$id"), ("$id", target.ToArray()));
            targetStored = targetRow is not null;
            var foreign = targetRow is not null && !targetRow.AsSpan().SequenceEqual(author);
            if (!foreign && targetKind != (long)RecordKind.Retraction)
            {
                retractTarget = target;
            }
        }

        var now = Now();
        // A payload whose retraction arrived first, or that has already expired, is never written.
        var pendingReason = header.Kind == RecordKind.Retraction || batch.PendingRetractions <= 0 ? null : PendingRetractionReason(tx, record.Id, author);
        if (pendingReason is not null)
        {
            batch.PendingRetractions--; // its retraction takes effect now
        }
        var expired = header.ExpiresUnixMs != 0 && header.ExpiresUnixMs <= now;
        InsertRecordRow(record, now, pendingReason is null && !expired ? record.Payload : null);

        if (!head.Moved)
        {
            head.Moved = true;
            head.Audience = header.Audience.SelectMany(a => a.ToByteArray()).ToArray();
            head.Red = header.Tlp == Tlp.Red;
        }
        head.Seq = header.Seq;
        head.Id = record.Id;

        if (pendingReason is not null)
        {
            MarkPurged(tx, record.Id, now, "retracted: " + pendingReason);
        }
        else if (expired)
        {
            MarkPurged(tx, record.Id, now, "expired");
        }

        if (retractTarget is { } t)
        {
            if (!targetStored)
            {
                batch.PendingRetractions++; // waits for its target
            }
            var reason = RetractionReason(record);
            Execute(tx, "INSERT OR IGNORE INTO retractions (target_id, retraction_id, author, reason) VALUES ($t, $r, $a, $why)",
                ("$t", t.ToArray()), ("$r", record.Id.ToArray()), ("$a", author), ("$why", reason));
            MarkPurged(tx, t, now, "retracted: " + reason);
        }
        return new(record.Id, StoreStatus.Stored, null);
    }

    private const string InsertRecordSql = """
        INSERT INTO records (id, author, channel, seq, kind, tlp, created_ms, expires_ms, header, signature, received_ms, payload)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
        """;

    /// <summary>
    /// Writes a record's row, in the transaction open on the connection (call under _gate). The one
    /// statement run for every stored record goes through SQLitePCL's raw API: Microsoft.Data.Sqlite
    /// looks each parameter up by name, builds a data reader and checks the transaction on every
    /// execution, about a fifth of the store's time per record in a profile. Blobs are bound as
    /// SQLITE_TRANSIENT (SQLite copies them). A failure (a constraint, a full disk) throws the same
    /// <see cref="SqliteException"/> the command would have, and the caller's transaction rolls back.
    /// </summary>
    private void InsertRecordRow(ValidatedRecord record, long receivedMs, byte[]? payload)
    {
        var db = _connection.Handle ?? throw new InvalidOperationException("the store's connection is closed.");
        if (_insertRecord is null)
        {
            ThrowOnError(db, raw.sqlite3_prepare_v2(db, InsertRecordSql, out var prepared));
            _insertRecord = prepared;
        }
        StepOnce(db, _insertRecord, (record, receivedMs, payload), static (statement, row) =>
        {
            var (record, receivedMs, payload) = row;
            var header = record.Header;
            raw.sqlite3_bind_blob(statement, 1, record.Id.Span);
            raw.sqlite3_bind_blob(statement, 2, header.Author.Span);
            raw.sqlite3_bind_blob(statement, 3, header.Channel.Span);
            raw.sqlite3_bind_int64(statement, 4, (long)header.Seq);
            raw.sqlite3_bind_int64(statement, 5, (long)header.Kind);
            raw.sqlite3_bind_int64(statement, 6, (long)header.Tlp);
            raw.sqlite3_bind_int64(statement, 7, header.CreatedUnixMs);
            raw.sqlite3_bind_int64(statement, 8, header.ExpiresUnixMs);
            raw.sqlite3_bind_blob(statement, 9, record.HeaderBytes);
            raw.sqlite3_bind_blob(statement, 10, record.Signature);
            raw.sqlite3_bind_int64(statement, 11, receivedMs);
            if (payload is null)
            {
                raw.sqlite3_bind_null(statement, 12);
            }
            else
            {
                raw.sqlite3_bind_blob(statement, 12, payload);
            }
        });
        InsertRecentId(db, record.Id);
    }

    /// <summary>
    /// Enters a just-inserted record (the connection's last insert) in recent_ids, the small tier of
    /// the id index, in the same transaction as its row.
    /// </summary>
    private void InsertRecentId(sqlite3 db, RecordId id)
    {
        if (_insertRecentId is null)
        {
            ThrowOnError(db, raw.sqlite3_prepare_v2(db, "INSERT INTO recent_ids (prefix, rec) VALUES (?1, ?2)", out var prepared));
            _insertRecentId = prepared;
        }
        StepOnce(db, _insertRecentId, (id, raw.sqlite3_last_insert_rowid(db)), static (statement, entry) =>
        {
            raw.sqlite3_bind_blob(statement, 1, entry.Item1.Span[..IdPrefixBytes]);
            raw.sqlite3_bind_int64(statement, 2, entry.Item2);
        });
    }

    /// <summary>
    /// Runs a prepared statement that returns no rows once: <paramref name="bind"/> binds its parameters
    /// from <paramref name="state"/> (a static lambda: nothing allocated per call), a step that does not
    /// finish throws the <see cref="SqliteException"/> the command would have, and the statement is
    /// reset and its bindings cleared whatever happens.
    /// </summary>
    private static void StepOnce<TState>(sqlite3 db, sqlite3_stmt statement, TState state, Action<sqlite3_stmt, TState> bind)
    {
        try
        {
            bind(statement, state);
            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE)
            {
                ThrowOnError(db, rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
            raw.sqlite3_clear_bindings(statement);
        }
    }

    /// <summary>Moves every entry of recent_ids into record_ids, in prefix order (one pass over the large table's pages).</summary>
    private void MoveRecentIds(SqliteTransaction tx)
    {
        Execute(tx, "INSERT INTO record_ids (prefix, rec) SELECT prefix, rec FROM recent_ids ORDER BY prefix, rec");
        Execute(tx, "DELETE FROM recent_ids");
    }

    private static void ThrowOnError(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(db));
        }
    }

    private void WriteHeads(SqliteTransaction tx, BatchState batch)
    {
        foreach (var ((author, channel), head) in batch.Chains)
        {
            if (!head.Moved)
            {
                continue;
            }
            Execute(tx, """
                INSERT INTO heads (author, channel, seq, head_id, audience, red) VALUES ($a, $c, $s, $id, $au, $r)
                ON CONFLICT (author, channel) DO UPDATE SET seq = excluded.seq, head_id = excluded.head_id WHERE excluded.seq > heads.seq
                """,
                ("$a", author.ToByteArray()), ("$c", channel.ToByteArray()), ("$s", (long)head.Seq), ("$id", head.Id.ToArray()),
                ("$au", head.Audience), ("$r", head.Red ? 1L : 0L));
        }
    }

    private static string RetractionReason(ValidatedRecord record)
    {
        if (record.Payload is null)
        {
            return "(reason not available)";
        }
        if (record.Header.Encryption != EncryptionScheme.None)
        {
            return "(reason encrypted; readers see it in the retraction record)";
        }
        try
        {
            return Retraction.Parser.ParseFrom(record.Payload).Reason;
        }
        catch (InvalidProtocolBufferException)
        {
            return "(reason not readable)";
        }
    }

    private void FillMissingPayload(ValidatedRecord record, SqliteTransaction tx)
    {
        if (record.Payload is null)
        {
            return;
        }
        var purged = ScalarLong(tx, "SELECT purged_ms FROM records WHERE " + IdIs("id", "$id"), ("$id", record.Id.ToArray()));
        var expires = record.Header.ExpiresUnixMs;
        if (purged is null && expires != 0 && expires <= Now())
        {
            // The payload arrived after its expiry: treat it as expired on arrival.
            MarkPurged(tx, record.Id, Now(), "expired");
            return;
        }
        if (purged is null)
        {
            Execute(tx, "UPDATE records SET payload = $b WHERE " + IdIs("id", "$id") + " AND payload IS NULL AND purged_ms IS NULL",
                ("$b", record.Payload), ("$id", record.Id.ToArray()));
        }
    }

    private long CountPendingRetractions()
    {
        lock (_gate)
        {
            return ScalarLong(null, "SELECT count(*) FROM retractions t WHERE NOT EXISTS (SELECT 1 FROM records r WHERE " + IdIs("r.id", "t.target_id") + ")") ?? 0;
        }
    }

    private string? PendingRetractionReason(SqliteTransaction tx, RecordId id, byte[] author) =>
        Scalar(tx, "SELECT reason FROM retractions WHERE target_id = $id AND author = $a LIMIT 1", [("$id", id.ToArray()), ("$a", author)]) as string;

    /// <summary>Drops a record's payload (secure_delete overwrites its bytes in the file) and marks it purged; a purged record stays as it is.</summary>
    private void MarkPurged(SqliteTransaction tx, RecordId id, long now, string reason) =>
        Execute(tx, "UPDATE records SET purged_ms = $t, purge_reason = $r, payload = NULL WHERE " + IdIs("id", "$id") + " AND purged_ms IS NULL",
            ("$t", now), ("$r", reason), ("$id", id.ToArray()));

    /// <summary>The head (highest seq and its id) of an author's chain on a channel; (0, default) when empty.</summary>
    public (ulong Seq, RecordId Id) GetHead(NodeId author, ReadOnlySpan<byte> channel)
    {
        ArgumentNullException.ThrowIfNull(author);
        lock (_gate)
        {
            return Head(null, author.ToBytes(), channel.ToArray());
        }
    }

    private (ulong, RecordId) Head(SqliteTransaction? tx, byte[] author, byte[] channel)
    {
        var command = Prepared(tx, "SELECT seq, head_id FROM heads WHERE author = $a AND channel = $c", [("$a", author), ("$c", channel)]);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ((ulong)reader.GetInt64(0), RecordId.FromBytes((byte[])reader[1])) : (0UL, default);
    }

    private void RebuildHeadsIfMissing()
    {
        lock (_gate)
        {
            if ((ScalarLong(null, "SELECT count(*) FROM heads") ?? 0) > 0 || (ScalarLong(null, "SELECT count(*) FROM records") ?? 0) == 0)
            {
                return;
            }
            using var tx = _connection.BeginTransaction();
            var latest = new List<(byte[] Header, byte[] Id)>();
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = tx;
                command.CommandText = """
                    SELECT r.header, r.id FROM records r
                    JOIN (SELECT author, channel, max(seq) AS seq FROM records GROUP BY author, channel) m
                      ON r.author = m.author AND r.channel = m.channel AND r.seq = m.seq
                    """;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    latest.Add(((byte[])reader[0], (byte[])reader[1]));
                }
            }
            foreach (var (headerBytes, id) in latest)
            {
                var header = RecordHeader.Parser.ParseFrom(headerBytes);
                Execute(tx, "INSERT INTO heads (author, channel, seq, head_id, audience, red) VALUES ($a, $c, $s, $id, $au, $r)",
                    ("$a", header.Author.ToByteArray()), ("$c", header.Channel.ToByteArray()), ("$s", (long)header.Seq), ("$id", id),
                    ("$au", header.Audience.SelectMany(a => a.ToByteArray()).ToArray()), ("$r", header.Tlp == Tlp.Red ? 1L : 0L));
            }
            Commit(tx);
        }
    }

    /// <summary>Every chain's head with its audience (empty = all members) and relay class.</summary>
    public IReadOnlyList<ChainHead> Heads()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT author, channel, seq, head_id, audience, red FROM heads ORDER BY author, channel";
            using var reader = command.ExecuteReader();
            var heads = new List<ChainHead>();
            while (reader.Read())
            {
                var audienceBlob = (byte[])reader[4];
                var audience = new List<byte[]>(audienceBlob.Length / 32);
                for (var i = 0; i + 32 <= audienceBlob.Length; i += 32)
                {
                    audience.Add(audienceBlob[i..(i + 32)]);
                }
                heads.Add(new ChainHead((byte[])reader[0], (byte[])reader[1], (ulong)reader.GetInt64(2), RecordId.FromBytes((byte[])reader[3]), audience, reader.GetInt64(5) == 1));
            }
            return heads;
        }
    }

    private const string RangeSql = """
        SELECT id, header, signature, payload, received_ms, purged_ms, purge_reason FROM records
        WHERE author = ?1 AND channel = ?2 AND seq >= ?3 AND seq <= ?4 ORDER BY seq LIMIT ?5
        """;

    /// <summary>
    /// Records of one chain from <paramref name="fromSeq"/> to <paramref name="toSeq"/>, in seq order:
    /// at most <paramref name="maxCount"/>, and no more than <paramref name="maxBytes"/> of header,
    /// signature and payload (at least one record). What a peer's range request is served from, a
    /// thousand rows at a time in a catch-up, so it reads through SQLitePCL's raw API, as
    /// <see cref="InsertRecordRow"/> writes: one prepared statement, each column copied once.
    /// </summary>
    public IReadOnlyList<StoredRecord> Range(ReadOnlySpan<byte> author, ReadOnlySpan<byte> channel, ulong fromSeq, ulong toSeq, int maxCount, long maxBytes)
    {
        var rows = new List<StoredRecord>(Math.Clamp(maxCount, 0, 1024));
        if (maxCount <= 0 || fromSeq > toSeq)
        {
            return rows;
        }
        lock (_gate)
        {
            var db = _connection.Handle ?? throw new InvalidOperationException("the store's connection is closed.");
            if (_rangeRecords is null)
            {
                ThrowOnError(db, raw.sqlite3_prepare_v2(db, RangeSql, out var prepared));
                _rangeRecords = prepared;
            }
            var statement = _rangeRecords;
            try
            {
                raw.sqlite3_bind_blob(statement, 1, author);
                raw.sqlite3_bind_blob(statement, 2, channel);
                raw.sqlite3_bind_int64(statement, 3, (long)Math.Min(fromSeq, long.MaxValue));
                raw.sqlite3_bind_int64(statement, 4, (long)Math.Min(toSeq, long.MaxValue));
                raw.sqlite3_bind_int64(statement, 5, maxCount);
                long bytes = 0;
                int rc;
                while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    var headerBytes = raw.sqlite3_column_blob(statement, 1).ToArray();
                    var signature = raw.sqlite3_column_blob(statement, 2).ToArray();
                    var payload = raw.sqlite3_column_type(statement, 3) == raw.SQLITE_NULL ? null : raw.sqlite3_column_blob(statement, 3).ToArray();
                    bytes += headerBytes.Length + signature.Length + (payload?.Length ?? 0);
                    if (bytes > maxBytes && rows.Count > 0)
                    {
                        break;
                    }
                    rows.Add(new StoredRecord(
                        RecordId.FromBytes(raw.sqlite3_column_blob(statement, 0)),
                        headerBytes,
                        signature,
                        payload,
                        RecordHeader.Parser.ParseFrom(new ReadOnlySpan<byte>(headerBytes)),
                        raw.sqlite3_column_int64(statement, 4),
                        raw.sqlite3_column_type(statement, 5) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(statement, 5),
                        raw.sqlite3_column_type(statement, 6) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(statement, 6).utf8_to_string()));
                }
                if (rc != raw.SQLITE_ROW)
                {
                    ThrowOnError(db, rc);
                }
            }
            finally
            {
                raw.sqlite3_reset(statement);
                raw.sqlite3_clear_bindings(statement);
            }
        }
        return rows;
    }

    public StoredRecord? GetAt(ReadOnlySpan<byte> author, ReadOnlySpan<byte> channel, ulong seq)
    {
        lock (_gate)
        {
            return Query(SelectRecord + " WHERE r.author = $a AND r.channel = $c AND r.seq = $s",
                ("$a", author.ToArray()), ("$c", channel.ToArray()), ("$s", (long)seq)).FirstOrDefault();
        }
    }

    public bool Contains(RecordId id)
    {
        lock (_gate)
        {
            return ScalarLong(null, "SELECT 1 FROM records WHERE " + IdIs("id", "$id"), ("$id", id.ToArray())) is not null;
        }
    }

    /// <summary>The newest record of the given kind from each author (highest seq on its chain).</summary>
    public IReadOnlyList<StoredRecord> NewestOfKindPerAuthor(RecordKind kind)
    {
        lock (_gate)
        {
            return Query(SelectRecord + """
                 JOIN (SELECT author AS a, max(seq) AS s FROM records WHERE kind = $k GROUP BY author) m
                   ON r.author = m.a AND r.seq = m.s AND r.kind = $k
                """, ("$k", (long)kind));
        }
    }

    /// <summary>Every record of a kind, oldest first.</summary>
    public IReadOnlyList<StoredRecord> OfKind(RecordKind kind)
    {
        lock (_gate)
        {
            return Query(SelectRecord + " WHERE r.kind = $k ORDER BY r.rowid", ("$k", (long)kind));
        }
    }

    public long Count()
    {
        lock (_gate)
        {
            return ScalarLong(null, "SELECT count(*) FROM records") ?? 0;
        }
    }

    /// <summary>Records the adopted charter document. One mesh per node.</summary>
    public void SaveMesh(byte[] meshId, byte[] document)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            Execute(tx, "INSERT INTO mesh (singleton, mesh_id, document, adopted_ms) VALUES (1, $m, $d, $t)",
                ("$m", meshId), ("$d", document), ("$t", Now()));
            Commit(tx);
        }
    }

    /// <summary>The adopted charter document, or null before adoption.</summary>
    public (byte[] MeshId, byte[] Document)? LoadMesh()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT mesh_id, document FROM mesh WHERE singleton = 1";
            using var reader = command.ExecuteReader();
            return reader.Read() ? ((byte[])reader[0], (byte[])reader[1]) : null;
        }
    }

    public StoredRecord? Get(RecordId id)
    {
        lock (_gate)
        {
            return Query(SelectRecord + " WHERE " + IdIs("r.id", "$id"), ("$id", id.ToArray())).FirstOrDefault();
        }
    }

    /// <summary>Ids that start with the given hex prefix (at most <paramref name="max"/>): range scans on the id index's two tiers.</summary>
    public IReadOnlyList<RecordId> FindByPrefix(string hexPrefix, int max = 2)
    {
        ArgumentNullException.ThrowIfNull(hexPrefix);
        var prefix = hexPrefix.ToLowerInvariant();
        if (prefix.Length == 0 || prefix.Length > 64 || !prefix.All(Uri.IsHexDigit))
        {
            return [];
        }
        // Ids starting with the prefix are those in [low, high): low pads an odd prefix with 0,
        // high is the prefix padded with f, plus one (none when it overflows: no upper bound).
        var low = Convert.FromHexString(prefix.Length % 2 == 0 ? prefix : prefix + "0");
        var high = Convert.FromHexString(prefix.Length % 2 == 0 ? prefix : prefix + "f");
        var carry = true;
        for (var i = high.Length - 1; i >= 0 && carry; i--)
        {
            high[i]++;
            carry = high[i] == 0;
        }
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            // Both tiers of the id index hold the ids' first 8 bytes, which order as the ids do (a
            // prefix of each): each tier gives its first candidates in the range of prefixes, the
            // ids are then compared exactly. Only ids that share their first 8 bytes with another
            // can fall out of the candidates, so a few more than asked for are enough.
            var range = carry ? "prefix >= substr($lo, 1, 8)" : "prefix >= substr($lo, 1, 8) AND prefix <= substr($hi, 1, 8)";
            command.CommandText = $"""
                SELECT r.id FROM (
                    SELECT rec FROM (SELECT rec FROM record_ids WHERE {range} ORDER BY prefix LIMIT $k)
                    UNION ALL
                    SELECT rec FROM (SELECT rec FROM recent_ids WHERE {range} ORDER BY prefix LIMIT $k)
                ) c JOIN records r ON r.rowid = c.rec
                WHERE r.id >= $lo {(carry ? "" : "AND r.id < $hi")}
                ORDER BY r.id LIMIT $m
                """;
            command.Parameters.AddWithValue("$lo", low);
            if (!carry)
            {
                command.Parameters.AddWithValue("$hi", high);
            }
            command.Parameters.AddWithValue("$m", max);
            command.Parameters.AddWithValue("$k", (long)max + 16);
            using var reader = command.ExecuteReader();
            var ids = new List<RecordId>();
            while (reader.Read())
            {
                var id = RecordId.FromBytes((byte[])reader[0]);
                if (id.ToString().StartsWith(prefix, StringComparison.Ordinal))
                {
                    ids.Add(id);
                }
            }
            return ids;
        }
    }

    /// <summary>Most recently stored first.</summary>
    public IReadOnlyList<StoredRecord> Feed(RecordKind? kind, Tlp? tlp, int limit)
    {
        var sql = SelectRecord + " WHERE ($k IS NULL OR r.kind = $k) AND ($t IS NULL OR r.tlp = $t) ORDER BY r.rowid DESC LIMIT $l";
        lock (_gate)
        {
            return Query(sql, ("$k", kind is null ? DBNull.Value : (long)kind), ("$t", tlp is null ? DBNull.Value : (long)tlp), ("$l", (long)limit));
        }
    }

    /// <summary>
    /// Records for which the id index (record_ids, recent_ids) holds no entry naming their row, so a
    /// lookup by id does not find them (at most <paramref name="max"/>, in row order). Read in pages
    /// of <paramref name="pageSize"/> rows, the store's lock held for one page at a time.
    /// </summary>
    public IReadOnlyList<RecordId> RecordsMissingFromIdIndex(int max = 100, int pageSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var missing = new List<RecordId>();
        long after = 0;
        while (missing.Count < max)
        {
            var rows = 0;
            lock (_gate)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = """
                    SELECT p.rowid, p.id,
                           EXISTS (SELECT 1 FROM record_ids i WHERE i.prefix = substr(p.id, 1, 8) AND i.rec = p.rowid)
                        OR EXISTS (SELECT 1 FROM recent_ids i WHERE i.prefix = substr(p.id, 1, 8) AND i.rec = p.rowid)
                    FROM (SELECT rowid, id FROM records WHERE rowid > $after ORDER BY rowid LIMIT $l) p
                    """;
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$l", (long)pageSize);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    rows++;
                    after = reader.GetInt64(0);
                    if (reader.GetInt64(2) == 0 && missing.Count < max)
                    {
                        missing.Add(RecordId.FromBytes((byte[])reader[1]));
                    }
                }
            }
            if (rows < pageSize)
            {
                break;
            }
        }
        return missing;
    }

    /// <summary>Every record, ordered by author, channel and seq, in one list (tests and small stores; see <see cref="EnumerateAll"/>).</summary>
    public IReadOnlyList<StoredRecord> ReadAll()
    {
        lock (_gate)
        {
            return Query(SelectRecord + " ORDER BY r.author, r.channel, r.seq");
        }
    }

    /// <summary>
    /// Every record, ordered by author, channel and seq, read in pages of <paramref name="pageSize"/>
    /// (keyset on the unique (author, channel, seq)): memory stays bounded by a page whatever the
    /// size of the store, and the store's lock is held for one page at a time, so replication and
    /// publishes go on while a long scan (re-verification) runs. Records stored meanwhile behind the
    /// scan's position are not seen; those ahead of it are.
    /// </summary>
    public IEnumerable<StoredRecord> EnumerateAll(int pageSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        byte[]? author = null, channel = null;
        long seq = 0;
        while (true)
        {
            List<StoredRecord> page;
            lock (_gate)
            {
                page = author is null
                    ? Query(SelectRecord + " ORDER BY r.author, r.channel, r.seq LIMIT $l", ("$l", (long)pageSize))
                    : Query(SelectRecord + " WHERE (r.author, r.channel, r.seq) > ($a, $c, $s) ORDER BY r.author, r.channel, r.seq LIMIT $l",
                        ("$a", author), ("$c", channel!), ("$s", seq), ("$l", (long)pageSize));
            }
            foreach (var record in page)
            {
                yield return record;
            }
            if (page.Count < pageSize)
            {
                yield break;
            }
            var last = page[^1].Header;
            (author, channel, seq) = (last.Author.ToByteArray(), last.Channel.ToByteArray(), (long)last.Seq);
        }
    }

    /// <summary>Deletes a record's payload and keeps its header. Returns false if unknown or already purged.</summary>
    public bool Purge(RecordId id, string reason)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var live = ScalarBlob(tx, "SELECT id FROM records WHERE " + IdIs("id", "$id") + " AND purged_ms IS NULL", ("$id", id.ToArray())) is not null;
            if (live)
            {
                MarkPurged(tx, id, Now(), reason);
            }
            Commit(tx);
            return live;
        }
    }

    /// <summary>Purges every payload whose expiry has passed. Returns the ids purged.</summary>
    public IReadOnlyList<RecordId> PurgeExpired()
    {
        lock (_gate)
        {
            var now = Now();
            using var tx = _connection.BeginTransaction();
            var ids = new List<RecordId>();
            using (var command = _connection.CreateCommand())
            {
                command.Transaction = tx;
                command.CommandText = "SELECT id FROM records WHERE expires_ms > 0 AND expires_ms <= $now AND purged_ms IS NULL";
                command.Parameters.AddWithValue("$now", now);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    ids.Add(RecordId.FromBytes((byte[])reader[0]));
                }
            }
            foreach (var id in ids)
            {
                MarkPurged(tx, id, now, "expired");
            }
            Commit(tx);
            return ids;
        }
    }

    public StoreCounts Counts()
    {
        lock (_gate)
        {
            var rows = new List<(RecordKind, Tlp, long)>();
            long total = 0, purged = 0;
            using (var command = _connection.CreateCommand())
            {
                command.CommandText = "SELECT kind, tlp, count(*) FROM records GROUP BY kind, tlp ORDER BY kind, tlp";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add(((RecordKind)reader.GetInt32(0), (Tlp)reader.GetInt32(1), reader.GetInt64(2)));
                    total += reader.GetInt64(2);
                }
            }
            purged = ScalarLong(null, "SELECT count(*) FROM records WHERE purged_ms IS NOT NULL") ?? 0;
            return new StoreCounts(rows, total, purged);
        }
    }

    /// <summary>Appends audit entries: which peer was sent which non-CLEAR records, now.</summary>
    public void AddAudit(NodeId peer, IEnumerable<RecordHeader> sent, IEnumerable<RecordId> ids)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(ids);
        AddAudit(sent.Zip(ids).Select(p => (peer, p.First, p.Second)));
    }

    /// <summary>
    /// Appends audit entries for several peers in one durable transaction: which peer was sent which
    /// records, now. Stored as ranges: consecutive records of one chain sent to one peer become one
    /// row (a catch-up batch of a thousand records is one row, not a thousand). CLEAR records are
    /// left out when the log is read (<see cref="Audit"/>); a range of only CLEAR records is not written.
    /// </summary>
    public void AddAudit(IEnumerable<(NodeId Peer, RecordHeader Header, RecordId Id)> sent)
    {
        ArgumentNullException.ThrowIfNull(sent);
        var ranges = new List<(NodeId Peer, ByteString Author, ByteString Channel, ulong From, ulong To, bool Restricted)>();
        foreach (var (peer, header, _) in sent)
        {
            var restricted = header.Tlp != Tlp.Clear;
            if (ranges.Count > 0 && ranges[^1] is var last && last.Peer.Equals(peer) && last.Author == header.Author &&
                last.Channel == header.Channel && header.Seq == last.To + 1)
            {
                ranges[^1] = last with { To = header.Seq, Restricted = last.Restricted || restricted };
            }
            else
            {
                ranges.Add((peer, header.Author, header.Channel, header.Seq, header.Seq, restricted));
            }
        }
        ranges.RemoveAll(r => !r.Restricted); // only CLEAR records: nothing to log
        if (ranges.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            var now = Now();
            foreach (var (peer, author, channel, from, to, _) in ranges)
            {
                Execute(tx, "INSERT INTO audit_ranges (peer, author, channel, from_seq, to_seq, sent_ms) VALUES ($p, $a, $c, $f, $t, $s)",
                    ("$p", peer.ToBytes()), ("$a", author.ToByteArray()), ("$c", channel.ToByteArray()), ("$f", (long)from), ("$t", (long)to), ("$s", now));
            }
            Commit(tx);
        }
    }

    /// <summary>Audit entries for non-CLEAR records, newest first (by send time, then seq), optionally for one record.</summary>
    public IReadOnlyList<AuditEntry> Audit(RecordId? record, int limit)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = record is null
                ? """
                  SELECT r.id, a.peer, r.tlp, r.kind, a.sent_ms
                  FROM audit_ranges a JOIN records r ON r.author = a.author AND r.channel = a.channel AND r.seq BETWEEN a.from_seq AND a.to_seq
                  WHERE r.tlp <> $clear
                  ORDER BY a.sent_ms DESC, a.rowid DESC, r.seq DESC LIMIT $l
                  """
                : $"""
                  SELECT r.id, a.peer, r.tlp, r.kind, a.sent_ms
                  FROM records r JOIN audit_ranges a ON a.author = r.author AND a.channel = r.channel AND a.to_seq >= r.seq AND a.from_seq <= r.seq
                  WHERE {IdIs("r.id", "$r")} AND r.tlp <> $clear
                  ORDER BY a.sent_ms DESC, a.rowid DESC LIMIT $l
                  """;
            if (record is { } r)
            {
                command.Parameters.AddWithValue("$r", r.ToArray());
            }
            command.Parameters.AddWithValue("$clear", (long)Tlp.Clear);
            command.Parameters.AddWithValue("$l", limit);
            using var reader = command.ExecuteReader();
            var list = new List<AuditEntry>();
            while (reader.Read())
            {
                list.Add(new AuditEntry(RecordId.FromBytes((byte[])reader[0]), NodeId.FromPublicKey((byte[])reader[1]), (Tlp)reader.GetInt32(2), (RecordKind)reader.GetInt32(3), reader.GetInt64(4)));
            }
            return list;
        }
    }

    /// <summary>Whether this node already sent that receipt.</summary>
    public bool ReceiptSent(RecordId target, int type)
    {
        lock (_gate)
        {
            return ScalarLong(null, "SELECT 1 FROM receipts_sent WHERE target = $t AND type = $y", ("$t", target.ToArray()), ("$y", (long)type)) is not null;
        }
    }

    /// <summary>Marks a receipt as sent; false when this node had already sent it.</summary>
    public bool MarkReceiptSent(RecordId target, int type)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "INSERT OR IGNORE INTO receipts_sent (target, type, sent_ms) VALUES ($t, $y, $s)";
            command.Parameters.AddWithValue("$t", target.ToArray());
            command.Parameters.AddWithValue("$y", (long)type);
            command.Parameters.AddWithValue("$s", Now());
            var inserted = command.ExecuteNonQuery() == 1;
            Commit(tx);
            return inserted;
        }
    }

    /// <summary>Records a fork proof learned from a peer's FORK_PROOF record (headers already verified by the caller).</summary>
    public void AddForkProof(byte[] firstHeader, byte[] secondHeader, byte[] secondSignature)
    {
        ArgumentNullException.ThrowIfNull(firstHeader);
        ArgumentNullException.ThrowIfNull(secondHeader);
        var header = RecordHeader.Parser.ParseFrom(secondHeader);
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction();
            Execute(tx, """
                INSERT OR IGNORE INTO fork_proofs (author, channel, seq, first_id, second_id, second_header, second_signature, detected_ms)
                VALUES ($a, $c, $s, $f, $i, $h, $g, $t)
                """,
                ("$a", header.Author.ToByteArray()), ("$c", header.Channel.ToByteArray()), ("$s", (long)header.Seq),
                ("$f", RecordId.OfHeader(firstHeader).ToArray()), ("$i", RecordId.OfHeader(secondHeader).ToArray()),
                ("$h", secondHeader), ("$g", secondSignature), ("$t", Now()));
            Commit(tx);
        }
    }

    public IReadOnlyList<ForkProof> ForkProofs()
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT author, channel, seq, first_id, second_id, second_header, second_signature, detected_ms FROM fork_proofs ORDER BY detected_ms";
            using var reader = command.ExecuteReader();
            var proofs = new List<ForkProof>();
            while (reader.Read())
            {
                proofs.Add(new ForkProof(NodeId.FromPublicKey((byte[])reader[0]), (byte[])reader[1], (ulong)reader.GetInt64(2),
                    RecordId.FromBytes((byte[])reader[3]), RecordId.FromBytes((byte[])reader[4]), (byte[])reader[5], (byte[])reader[6], reader.GetInt64(7)));
            }
            return proofs;
        }
    }

    /// <summary>Bytes of an id the id index keys on (schema 8 and 9): its first 8.</summary>
    internal const int IdPrefixBytes = 8;

    /// <summary>
    /// The condition that finds a record by id through the id index (schema 9): the rowids that
    /// record_ids and recent_ids hold for the id's first 8 bytes, then the whole id compared.
    /// <paramref name="column"/> is the id column of the records table, optionally qualified by its
    /// alias ("r.id"), whose rowid the condition names the same way.
    /// </summary>
    internal static string IdIs(string column, string value)
    {
        var dot = column.LastIndexOf('.');
        var rowid = dot < 0 ? "rowid" : column[..(dot + 1)] + "rowid";
        return $"{rowid} IN (SELECT rec FROM record_ids WHERE prefix = substr({value}, 1, 8) UNION ALL " +
               $"SELECT rec FROM recent_ids WHERE prefix = substr({value}, 1, 8)) AND {column} = {value}";
    }

    private const string SelectRecord = """
        SELECT r.id, r.header, r.signature, r.payload, r.received_ms, r.purged_ms, r.purge_reason
        FROM records r
        """;

    private List<StoredRecord> Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        using var reader = command.ExecuteReader();
        var list = new List<StoredRecord>();
        while (reader.Read())
        {
            var headerBytes = (byte[])reader[1];
            list.Add(new StoredRecord(
                RecordId.FromBytes((byte[])reader[0]),
                headerBytes,
                (byte[])reader[2],
                reader.IsDBNull(3) ? null : (byte[])reader[3],
                RecordHeader.Parser.ParseFrom(new ReadOnlySpan<byte>(headerBytes)),
                reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return list;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Execute(SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters) =>
        Prepared(tx, sql, parameters).ExecuteNonQuery();

    /// <summary>The cached command for this SQL, bound to the transaction and the parameter values (call under _gate).</summary>
    private SqliteCommand Prepared(SqliteTransaction? tx, string sql, (string Name, object Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
            _commands[sql] = command;
        }
        if (command.Parameters.Count != parameters.Length)
        {
            throw new InvalidOperationException($"statement prepared with {command.Parameters.Count} parameters, called with {parameters.Length}: {sql}");
        }
        command.Transaction = tx;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters[parameters[i].Name].Value = parameters[i].Value;
        }
        return command;
    }

    private byte[]? ScalarBlob(SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters) =>
        Scalar(tx, sql, parameters) as byte[];

    private long? ScalarLong(SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters) =>
        Scalar(tx, sql, parameters) is long value ? value : null;

    private object? Scalar(SqliteTransaction? tx, string sql, (string Name, object Value)[] parameters)
    {
        var result = Prepared(tx, sql, parameters).ExecuteScalar();
        return result is DBNull ? null : result;
    }

    /// <summary>Commits and lets the checkpointer know there is something to copy (about <paramref name="bytes"/> of records).</summary>
    private void Commit(SqliteTransaction tx, long bytes = 0)
    {
        tx.Commit();
        _checkpointer?.Nudge(bytes);
    }

    /// <summary>Checkpoints the background checkpointer has run, and what the last one found (for tests and diagnostics).</summary>
    internal (long Checkpoints, long LogFrames, long CopiedFrames, string? LastError) CheckpointerState =>
        _checkpointer is { } c ? (c.Checkpoints, c.Last.LogFrames, c.Last.CopiedFrames, c.LastError) : (0, 0, 0, null);

    private string? ScalarText(string sql)
    {
        lock (_gate)
        {
            return Scalar(null, sql, []) as string;
        }
    }

    public void Dispose()
    {
        // The checkpointer's connection closes first: the store's own connection, the last one, then
        // checkpoints the rest and removes the log.
        _checkpointer?.Dispose();
        _checkpointer = null;
        lock (_gate)
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }
            _commands.Clear();
            _insertRecord?.Dispose();
            _insertRecord = null;
            _insertRecentId?.Dispose();
            _insertRecentId = null;
            _rangeRecords?.Dispose();
            _rangeRecords = null;
            _connection.Dispose();
        }
    }
}
