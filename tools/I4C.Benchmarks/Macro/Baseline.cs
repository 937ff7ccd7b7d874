using System.Diagnostics;
using I4C.Benchmarks.Shared;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Storage;
using Microsoft.Data.Sqlite;
using NSec.Cryptography;

namespace I4C.Benchmarks.Macro;

/// <summary>
/// The machine's raw speed at the two things every publish must do, measured in the same
/// run as the node so that records/s can be read as a ratio that carries across machines:
/// Ed25519 sign+verify pairs per second on one thread (NSec, message the size of a real
/// record's signed header bytes), and durable SQLite inserts per second (one 1 KiB row per
/// transaction, with the node's own pragmas: WAL, synchronous=FULL) in the temporary
/// directory the node's data directory lives in, after a warm-up that recycles the WAL as a
/// running node's is. Batched inserts (1,000 rows per transaction) are reported for context.
/// Each rate is the median over <see cref="Slices"/> equal time slices, so that a burst of
/// other work on the machine (CPU or disk) moves it less than it would move a plain average.
/// </summary>
public sealed record BaselineResult(
    double Ed25519SignVerifyPerSecond,
    int SignedMessageBytes,
    double SqliteDurableInsertsPerSecond,
    double SqliteBatchedInsertsPerSecond)
{
    public const int Slices = 10;

    public static BaselineResult Measure(TimeSpan budgetEach, CancellationToken cancellationToken)
    {
        var (rate, size) = Ed25519(budgetEach, cancellationToken);
        var directory = Samples.TempDirectory("baseline");
        try
        {
            using var connection = RecordStore.OpenConnection(Path.Combine(directory, "baseline.db"));
            using var insert = PrepareInsert(connection);
            var random = new Random(20261125);
            // Batched first: it also brings the database to the state of a node that has run for
            // a while (WAL filled, checkpointed and recycled). Commits into a fresh WAL, which still
            // grows the file, are about a third slower on ext4 and would flatter the node's ratio.
            for (var i = 0; i < 5; i++)
            {
                Insert(connection, insert, random, 1000);
            }
            var batched = MedianRate(budgetEach / 2, () => Insert(connection, insert, random, 1000), cancellationToken);
            var durable = MedianRate(budgetEach, () => Insert(connection, insert, random, 1), cancellationToken);
            return new BaselineResult(rate, size, durable, batched);
        }
        finally
        {
            Samples.DeleteDirectory(directory);
        }
    }

    private static (double Rate, int Size) Ed25519(TimeSpan budget, CancellationToken cancellationToken)
    {
        // The bytes a node really signs: domain prefix + the header of a 1 KiB advisory.
        using var author = NodeIdentity.Create();
        var header = RecordWriter.Sign(author, Samples.Draft(), 2, RecordId.OfHeader("prev"u8), Samples.SignedAt).Header.ToByteArray();
        var message = RecordSignature.SignedBytes(header);

        var algorithm = SignatureAlgorithm.Ed25519;
        using var key = Key.Create(algorithm);
        var signature = new byte[algorithm.SignatureSize];
        long SignAndVerify()
        {
            for (var i = 0; i < 20; i++)
            {
                algorithm.Sign(key, message, signature);
                if (!algorithm.Verify(key.PublicKey, message, signature))
                {
                    throw new InvalidOperationException("Ed25519 baseline: a fresh signature does not verify.");
                }
            }
            return 20;
        }
        for (var i = 0; i < 10; i++)
        {
            SignAndVerify();
        }
        return (MedianRate(budget, SignAndVerify, cancellationToken), message.Length);
    }

    private static SqliteCommand PrepareInsert(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE rows (id BLOB PRIMARY KEY, body BLOB NOT NULL)";
            create.ExecuteNonQuery();
        }
        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO rows (id, body) VALUES ($id, $body)";
        insert.Parameters.Add("$id", SqliteType.Blob);
        insert.Parameters.Add("$body", SqliteType.Blob).Value = new byte[Samples.PayloadBytes];
        insert.Prepare();
        return insert;
    }

    /// <summary>Inserts <paramref name="rows"/> rows with random 32-byte keys in one transaction (one commit, one fsync).</summary>
    private static long Insert(SqliteConnection connection, SqliteCommand insert, Random random, int rows)
    {
        using var transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        for (var i = 0; i < rows; i++)
        {
            var key = new byte[32];
            random.NextBytes(key);
            insert.Parameters["$id"].Value = key;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        return rows;
    }

    /// <summary>Runs <paramref name="step"/> (which returns how many operations it did) for <see cref="Slices"/> slices of the budget; the median slice rate.</summary>
    private static double MedianRate(TimeSpan budget, Func<long> step, CancellationToken cancellationToken)
    {
        var slice = budget / Slices;
        var rates = new double[Slices];
        for (var s = 0; s < Slices; s++)
        {
            var done = 0L;
            var clock = Stopwatch.StartNew();
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                done += step();
            }
            while (clock.Elapsed < slice);
            rates[s] = done / clock.Elapsed.TotalSeconds;
        }
        Array.Sort(rates);
        return (rates[(Slices - 1) / 2] + rates[Slices / 2]) / 2;
    }
}
