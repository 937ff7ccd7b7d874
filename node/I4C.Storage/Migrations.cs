using Microsoft.Data.Sqlite;

namespace I4C.Storage;

/// <summary>
/// The schema, as an ordered list of migrations. The database's PRAGMA user_version is
/// the number of migrations applied; on open, the missing ones run, each in its own
/// transaction. Never edit a shipped migration: add a new one.
/// </summary>
public static class Migrations
{
    /// <summary>Migration n (1-based) brings the schema from version n-1 to n.</summary>
    public static readonly IReadOnlyList<string> Steps =
    [
        // 1: records (header bytes exactly as received) and detached payloads.
        """
        CREATE TABLE records (
            id          BLOB PRIMARY KEY,
            author      BLOB NOT NULL,
            channel     BLOB NOT NULL,
            seq         INTEGER NOT NULL,
            kind        INTEGER NOT NULL,
            tlp         INTEGER NOT NULL,
            created_ms  INTEGER NOT NULL,
            expires_ms  INTEGER NOT NULL,
            header      BLOB NOT NULL,
            signature   BLOB NOT NULL,
            received_ms INTEGER NOT NULL,
            UNIQUE (author, channel, seq)
        );
        CREATE TABLE payloads (
            record_id BLOB PRIMARY KEY REFERENCES records(id),
            bytes     BLOB NOT NULL
        );
        """,
        // 2: purges (retraction, expiry), pending retractions, fork proofs.
        """
        ALTER TABLE records ADD COLUMN purged_ms INTEGER;
        ALTER TABLE records ADD COLUMN purge_reason TEXT;
        CREATE TABLE retractions (
            target_id     BLOB NOT NULL,
            retraction_id BLOB NOT NULL,
            author        BLOB NOT NULL,
            reason        TEXT NOT NULL,
            PRIMARY KEY (target_id, retraction_id)
        );
        CREATE TABLE fork_proofs (
            author      BLOB NOT NULL,
            channel     BLOB NOT NULL,
            seq         INTEGER NOT NULL,
            first_id    BLOB NOT NULL,
            second_id   BLOB NOT NULL,
            second_header    BLOB NOT NULL,
            second_signature BLOB NOT NULL,
            detected_ms INTEGER NOT NULL,
            PRIMARY KEY (author, channel, seq, second_id)
        );
        """,
        // 3: indexes for the feed and the expiry sweep.
        """
        CREATE INDEX records_kind_tlp ON records (kind, tlp);
        CREATE INDEX records_expiry ON records (expires_ms) WHERE expires_ms > 0 AND purged_ms IS NULL;
        """,
        // 4: the mesh (adopted charter) and chain heads for anti-entropy. Heads of
        // records stored before this version are rebuilt from their headers on open.
        """
        CREATE TABLE mesh (
            singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
            mesh_id    BLOB NOT NULL,
            document   BLOB NOT NULL,
            adopted_ms INTEGER NOT NULL
        );
        CREATE TABLE heads (
            author   BLOB NOT NULL,
            channel  BLOB NOT NULL,
            seq      INTEGER NOT NULL,
            head_id  BLOB NOT NULL,
            audience BLOB NOT NULL,
            red      INTEGER NOT NULL,
            PRIMARY KEY (author, channel)
        );
        CREATE INDEX records_kind_author ON records (kind, author, seq);
        """,
        // 5: the audit log of non-CLEAR records sent to peers, and receipts this node sent.
        """
        CREATE TABLE audit (
            record_id BLOB NOT NULL,
            peer      BLOB NOT NULL,
            tlp       INTEGER NOT NULL,
            kind      INTEGER NOT NULL,
            sent_ms   INTEGER NOT NULL
        );
        CREATE INDEX audit_record ON audit (record_id);
        CREATE INDEX audit_time ON audit (sent_ms);
        CREATE TABLE receipts_sent (
            target  BLOB NOT NULL,
            type    INTEGER NOT NULL,
            sent_ms INTEGER NOT NULL,
            PRIMARY KEY (target, type)
        );
        """,
        // 6: a record's payload lives in its own row. The payloads table was keyed by the record
        // id, a SHA-256: every stored payload went to a random page of that table's index, which
        // made storing a received batch write several times the bytes it held. Purged payloads
        // are NULL; DROP TABLE with secure_delete on overwrites the old table's pages.
        """
        ALTER TABLE records ADD COLUMN payload BLOB;
        UPDATE records SET payload = (SELECT bytes FROM payloads WHERE record_id = records.id);
        DROP TABLE payloads;
        """,
        // 7: the audit log holds ranges of a chain, not single records. A catch-up sends a chain in
        // batches of up to 1024 records; one row per record (keyed by the random record id) made the
        // sender write an audit row and a random index page for every record it served. A range row
        // says: these seqs of this (author, channel) went to this peer at this time; readers expand it
        // against records and keep the non-CLEAR ones, as before.
        """
        CREATE TABLE audit_ranges (
            peer     BLOB NOT NULL,
            author   BLOB NOT NULL,
            channel  BLOB NOT NULL,
            from_seq INTEGER NOT NULL,
            to_seq   INTEGER NOT NULL,
            sent_ms  INTEGER NOT NULL
        );
        INSERT INTO audit_ranges (peer, author, channel, from_seq, to_seq, sent_ms)
            SELECT a.peer, r.author, r.channel, r.seq, r.seq, a.sent_ms
            FROM audit a JOIN records r ON r.id = a.record_id ORDER BY a.rowid;
        DROP TABLE audit;
        CREATE INDEX audit_ranges_chain ON audit_ranges (author, channel, to_seq);
        CREATE INDEX audit_ranges_time ON audit_ranges (sent_ms);
        """,
        // 8: records are found by id through an index of the id's first 8 bytes instead of the whole
        // 32-byte id. Ids are SHA-256 values, so every stored record lands on a random page of that
        // index: storing a batch of a catch-up rewrote most of the index's pages, in the log and again
        // at the checkpoint, more bytes than the records themselves. The index of 8-byte prefixes is
        // about a third as large. The id keeps no UNIQUE constraint of its own: a record's id is the
        // hash of its header, which names its (author, channel, seq), and that triple is UNIQUE, so two
        // rows cannot share an id. Lookups say "substr(id, 1, 8) = substr($id, 1, 8) AND id = $id".
        // SQLite cannot drop a primary key in place: the table is rebuilt, rowids kept (the feed
        // orders by them), and its other indexes made again.
        """
        CREATE TABLE records_v8 (
            id           BLOB NOT NULL,
            author       BLOB NOT NULL,
            channel      BLOB NOT NULL,
            seq          INTEGER NOT NULL,
            kind         INTEGER NOT NULL,
            tlp          INTEGER NOT NULL,
            created_ms   INTEGER NOT NULL,
            expires_ms   INTEGER NOT NULL,
            header       BLOB NOT NULL,
            signature    BLOB NOT NULL,
            received_ms  INTEGER NOT NULL,
            purged_ms    INTEGER,
            purge_reason TEXT,
            payload      BLOB,
            UNIQUE (author, channel, seq)
        );
        INSERT INTO records_v8 (rowid, id, author, channel, seq, kind, tlp, created_ms, expires_ms, header, signature, received_ms, purged_ms, purge_reason, payload)
            SELECT rowid, id, author, channel, seq, kind, tlp, created_ms, expires_ms, header, signature, received_ms, purged_ms, purge_reason, payload
            FROM records ORDER BY rowid;
        DROP TABLE records;
        ALTER TABLE records_v8 RENAME TO records;
        CREATE INDEX records_id ON records (substr(id, 1, 8));
        CREATE INDEX records_kind_tlp ON records (kind, tlp);
        CREATE INDEX records_expiry ON records (expires_ms) WHERE expires_ms > 0 AND purged_ms IS NULL;
        CREATE INDEX records_kind_author ON records (kind, author, seq);
        """,
        // 9: the id index in two tiers. An index keyed by a hash takes every new entry on a random
        // page, so each stored batch rewrote nearly every page of records_id, and the more records
        // a node held, the more: at 400,000 records a catch-up wrote 2.7 GB for a 0.66 GB database.
        // New ids go to recent_ids, a small table whose few pages a batch rewrites; when it holds
        // RecordStore.RecentIdsLimit entries they move to record_ids in one sorted pass, which
        // rewrites each page of the large table at most once per move. A lookup searches both
        // (RecordStore.IdIs). Both tables map the id's first 8 bytes to the record's rowid; the
        // rowid is what the feed already orders by and a rebuild of the file keeps (after VACUUM
        // the store builds both tables again all the same, RebuildIdIndex below).
        """
        DROP INDEX records_id;
        CREATE TABLE record_ids (prefix BLOB NOT NULL, rec INTEGER NOT NULL, PRIMARY KEY (prefix, rec)) WITHOUT ROWID;
        CREATE TABLE recent_ids (prefix BLOB NOT NULL, rec INTEGER NOT NULL, PRIMARY KEY (prefix, rec)) WITHOUT ROWID;
        INSERT INTO record_ids (prefix, rec) SELECT substr(id, 1, 8), rowid FROM records ORDER BY 1, 2;
        """,
    ];

    public static int Latest => Steps.Count;

    public static int CurrentVersion(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Applies the missing migrations up to <paramref name="target"/>. Returns how many ran.</summary>
    public static int Apply(SqliteConnection connection, int target = -1)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (target < 0)
        {
            target = Latest;
        }
        var version = CurrentVersion(connection);
        if (version > Latest)
        {
            throw new DataDirectoryException(
                $"The database is at schema version {version}, newer than this node's {Latest}. Run the newer i4c-node, or restore a backup made by this version.");
        }
        var ran = 0;
        for (var step = version; step < target; step++)
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Steps[step] + $"\nPRAGMA user_version = {step + 1};";
                command.ExecuteNonQuery();
            }
            transaction.Commit();
            ran++;
        }
        if (ran > 0)
        {
            CompactIfMostlyFree(connection);
        }
        return ran;
    }

    /// <summary>
    /// After migrations that dropped or rebuilt a table (6, 7 and 8 do: 8 copies every record), the
    /// old table's pages stay in the file as free pages, which made the file of an upgraded node about
    /// twice its size. When more than a quarter of the pages are free, VACUUM rebuilds the file
    /// compactly (once, right after the upgrade; it needs free disk space about the size of the
    /// database while it runs).
    /// </summary>
    private static void CompactIfMostlyFree(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA freelist_count";
        var free = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        command.CommandText = "PRAGMA page_count";
        var pages = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (free * 4 > pages)
        {
            command.CommandText = "VACUUM";
            command.ExecuteNonQuery();
            RebuildIdIndex(connection);
        }
    }

    /// <summary>
    /// Builds the id index (record_ids, recent_ids; schema 9) again from the records table: every
    /// record's id prefix and rowid in record_ids, none in recent_ids. Run after VACUUM, which
    /// SQLite documents may renumber the rowids of a table without an INTEGER PRIMARY KEY.
    /// </summary>
    internal static void RebuildIdIndex(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            DELETE FROM recent_ids;
            DELETE FROM record_ids;
            INSERT INTO record_ids (prefix, rec) SELECT substr(id, 1, 8), rowid FROM records ORDER BY 1, 2;
            """;
        command.ExecuteNonQuery();
        transaction.Commit();
    }
}
