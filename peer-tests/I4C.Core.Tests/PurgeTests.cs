using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Core.Tests.Support;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>Purges (by hand, by retraction, by expiry) delete payloads and keep headers verifiable.</summary>
[Trait("Category", "Unit")]
public sealed class PurgeTests : IDisposable
{
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordValidator _validator;
    private readonly TestAuthor _author;
    private readonly TempDirectory _dir = new();
    private readonly string _dbPath;
    private RecordStore? _store;

    public PurgeTests()
    {
        _validator = new RecordValidator(RecordLimits.Default, _time);
        _author = new TestAuthor(_validator, _time);
        _dbPath = _dir.File("purge.db");
    }

    private RecordStore Store => _store ??= RecordStore.Open(_dbPath, _time);

    public void Dispose()
    {
        _store?.Dispose();
        _author.Dispose();
        _dir.Dispose();
    }

    /// <summary>An AMBER advisory for one recipient (its own channel) and the author's retraction of it (on the mesh channel).</summary>
    private (ValidatedRecord Target, ValidatedRecord Retraction) RestrictedTargetAndItsRetraction(NodeId recipient, string reason)
    {
        var target = _author.Write(TestRecords.AdvisoryDraft("for one city", Tlp.Amber) with { Audience = [recipient] });
        return (target, _author.Write(TestRecords.RetractionDraft(target.Id, reason)));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private bool CanaryOnDisk(byte[] canary) =>
        new[] { _dbPath, _dbPath + "-wal", _dbPath + "-journal" }
            .Where(File.Exists)
            .Any(f => Contains(File.ReadAllBytes(f), canary));

    // --- Purge by hand ----------------------------------------------------------------------

    [Fact]
    public void Purge_StoredRecord_DropsPayloadAndKeepsTheHeader()
    {
        // Arrange
        var record = _author.Write(TestRecords.AdvisoryDraft("to purge"));
        Store.Insert(record);
        _time.Advance(TimeSpan.FromMinutes(1));

        // Act
        var purged = Store.Purge(record.Id, "operator request");
        var stored = Store.Get(record.Id);

        // Assert
        Assert.True(purged);
        Assert.NotNull(stored);
        Assert.Null(stored.Payload);
        Assert.True(stored.IsPurged);
        Assert.Equal("operator request", stored.PurgeReason);
        Assert.Equal(TestClock.Start.AddMinutes(1).ToUnixTimeMilliseconds(), stored.PurgedUnixMs);
        Assert.Equal(record.HeaderBytes, stored.HeaderBytes);
        Assert.Equal(1, Store.Counts().Purged);
    }

    [Fact]
    public void Purge_UnknownOrAlreadyPurged_ReturnsFalse()
    {
        // Arrange
        var record = _author.Write(TestRecords.AdvisoryDraft("to purge"));
        Store.Insert(record);
        Store.Purge(record.Id, "first");

        // Act
        var again = Store.Purge(record.Id, "second");
        var unknown = Store.Purge(RecordId.FromBytes(new byte[32]), "nothing");

        // Assert
        Assert.False(again);
        Assert.False(unknown);
        Assert.Equal("first", Store.Get(record.Id)!.PurgeReason);
    }

    [Fact]
    public void Purge_ThenValidateHeaderWithoutPayload_StillVerifies()
    {
        // Arrange
        var record = _author.Write(TestRecords.AdvisoryDraft("to purge"));
        Store.Insert(record);
        Store.Purge(record.Id, "operator request");
        var stored = Store.Get(record.Id)!;

        // Act
        var result = _validator.Validate(stored.HeaderBytes, stored.Signature, null);
        var viaWire = _validator.Validate(stored.ToWire());

        // Assert
        Assert.True(result.IsValid, result.Rejection?.ToString());
        Assert.Equal(record.Id, result.Record!.Id);
        Assert.True(viaWire.IsValid, viaWire.Rejection?.ToString());
        Assert.False(stored.ToWire().HasPayload);
    }

    [Fact]
    public void Purge_ThenNextRecordOnTheChain_IsStored()
    {
        // Arrange
        var first = _author.Write(TestRecords.AdvisoryDraft("one"));
        Store.Insert(first);
        Store.Purge(first.Id, "operator request");
        var second = _author.Write(TestRecords.AdvisoryDraft("two"));

        // Act
        var stored = Store.Get(first.Id)!;
        var reValidated = _validator.Validate(stored.HeaderBytes, stored.Signature, null).Record!;
        var (verdict, rejection) = ChainRules.Check(second, new ChainState(1, reValidated.Id, null));
        var outcome = Store.Insert(second);

        // Assert
        Assert.Equal(ChainVerdict.Extends, verdict);
        Assert.Null(rejection);
        Assert.Equal(StoreStatus.Stored, outcome.Status);
    }

    [Fact]
    public void Purge_ThenSameRecordOfferedWithPayload_DoesNotBringThePayloadBack()
    {
        // Arrange
        var record = _author.Write(TestRecords.AdvisoryDraft("to purge"));
        Store.Insert(record);
        Store.Purge(record.Id, "operator request");

        // Act
        var outcome = Store.Insert(record);

        // Assert
        Assert.Equal(StoreStatus.Duplicate, outcome.Status);
        Assert.Null(Store.Get(record.Id)!.Payload);
    }

    [Fact]
    public void Purge_PayloadBytes_AreGoneFromTheDatabaseFiles()
    {
        // Arrange
        var canary = "CANARY-" + Guid.NewGuid().ToString("N");
        var canaryBytes = System.Text.Encoding.UTF8.GetBytes(canary);
        var record = _author.Write(TestRecords.AdvisoryDraft("secret", Tlp.Amber, canary));
        Store.Insert(record);
        var onDiskBeforePurge = CanaryOnDisk(canaryBytes);

        // Act
        Store.Purge(record.Id, "operator request");
        _store!.Dispose();
        _store = null;

        // Assert
        Assert.True(onDiskBeforePurge, "control: the canary should be on disk before the purge");
        Assert.False(CanaryOnDisk(canaryBytes), "the purged payload's bytes are still in the database files");
    }

    [Fact]
    public void Purge_PayloadCheckpointedIntoTheMainFile_IsGoneFromTheDatabaseFiles()
    {
        // Arrange: move the payload out of the WAL into the main file first, so the purge
        // has to overwrite it there (secure_delete), not just in the WAL.
        var canaryBytes = System.Text.Encoding.UTF8.GetBytes("CANARY-" + Guid.NewGuid().ToString("N"));
        var record = _author.Write(TestRecords.AdvisoryDraft("secret", Tlp.Amber, System.Text.Encoding.UTF8.GetString(canaryBytes)));
        Store.Insert(record);
        using (var connection = RecordStore.OpenConnection(_dbPath))
        using (var checkpoint = connection.CreateCommand())
        {
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }
        var inMainFile = Contains(File.ReadAllBytes(_dbPath), canaryBytes);

        // Act
        Store.Purge(record.Id, "operator request");
        _store!.Dispose();
        _store = null;

        // Assert
        Assert.True(inMainFile, "control: the checkpoint should have put the canary into the main file");
        Assert.False(CanaryOnDisk(canaryBytes), "the purged payload's bytes are still in the database files");
    }

    // --- Retraction ---------------------------------------------------------------------------

    [Fact]
    public void Insert_RetractionBySameAuthor_PurgesTheTarget()
    {
        // Arrange
        var target = _author.Write(TestRecords.AdvisoryDraft("mistake"));
        Store.Insert(target);
        var retraction = _author.Write(TestRecords.RetractionDraft(target.Id, "published by mistake"));

        // Act
        var outcome = Store.Insert(retraction);
        var stored = Store.Get(target.Id)!;

        // Assert
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Null(stored.Payload);
        Assert.True(stored.IsPurged);
        Assert.Contains("published by mistake", stored.PurgeReason, StringComparison.Ordinal);
        Assert.StartsWith("retracted", stored.PurgeReason, StringComparison.Ordinal);
        Assert.Equal(retraction.Payload, Store.Get(retraction.Id)!.Payload);
        Assert.True(_validator.Validate(stored.HeaderBytes, stored.Signature, null).IsValid);
    }

    [Fact]
    public void Insert_RetractionByAnotherAuthor_IsStoredWithoutEffectAndTargetKeepsItsPayload()
    {
        // Arrange
        using var intruder = new TestAuthor(_validator, _time);
        var target = _author.Write(TestRecords.AdvisoryDraft("genuine"));
        Store.Insert(target);
        var retraction = intruder.Write(TestRecords.RetractionDraft(target.Id, "not yours to retract"));

        // Act
        var outcome = Store.Insert(retraction);

        // Assert: stored (refusing it would make the outcome depend on arrival order and
        // block the intruder's chain on this node only) but without any effect.
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.NotNull(Store.Get(retraction.Id));
        Assert.Equal(target.Payload, Store.Get(target.Id)!.Payload);
        Assert.False(Store.Get(target.Id)!.IsPurged);
    }

    [Fact]
    public void Insert_RetractionBeforeItsTargetOnAnotherChannel_TargetArrivesWithoutPayload()
    {
        // Arrange: the target is on a restricted channel, the retraction on the mesh channel.
        using var recipient = NodeIdentity.Create();
        var (target, retraction) = RestrictedTargetAndItsRetraction(recipient.Id, "sent to the wrong city");
        Assert.False(retraction.Channel.SequenceEqual(target.Channel));

        // Act
        var retractionOutcome = Store.Insert(retraction);
        var targetOutcome = Store.Insert(target);
        var stored = Store.Get(target.Id)!;

        // Assert
        Assert.Equal(StoreStatus.Stored, retractionOutcome.Status);
        Assert.Equal(StoreStatus.Stored, targetOutcome.Status);
        Assert.Null(stored.Payload);
        Assert.True(stored.IsPurged);
        Assert.Contains("sent to the wrong city", stored.PurgeReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Insert_RetractionBeforeItsTarget_StoreReopenedInBetween_TargetArrivesWithoutPayload()
    {
        // Arrange: the store counts retractions waiting for their target and skips the lookup while there
        // are none; the count must come back from the file after a restart.
        using var recipient = NodeIdentity.Create();
        var (target, retraction) = RestrictedTargetAndItsRetraction(recipient.Id, "sent to the wrong city");
        Store.Insert(retraction);
        _store!.Dispose();
        _store = null;

        // Act
        var targetOutcome = Store.Insert(target);

        // Assert
        Assert.Equal(StoreStatus.Stored, targetOutcome.Status);
        var stored = Store.Get(target.Id)!;
        Assert.Null(stored.Payload);
        Assert.Contains("sent to the wrong city", stored.PurgeReason, StringComparison.Ordinal);
    }

    [Fact]
    public void InsertBatch_RetractionAndThenItsTargetInOneBatch_TargetStoredWithoutPayloadAndALaterRecordKeepsItsOwn()
    {
        // Arrange
        using var recipient = NodeIdentity.Create();
        var (target, retraction) = RestrictedTargetAndItsRetraction(recipient.Id, "wrong city");
        var later = _author.Write(TestRecords.AdvisoryDraft("still valid", Tlp.Amber) with { Audience = [recipient.Id] });

        // Act: the retraction (mesh channel) first, then the target and its successor (their own channel).
        var outcomes = Store.InsertBatch([retraction, target, later]);

        // Assert
        Assert.All(outcomes, o => Assert.Equal(StoreStatus.Stored, o.Status));
        Assert.Null(Store.Get(target.Id)!.Payload);
        Assert.NotNull(Store.Get(later.Id)!.Payload);
        Assert.False(Store.Get(later.Id)!.IsPurged);
    }

    [Fact]
    public void Insert_ForeignRetractionBeforeTheTarget_DoesNotPurgeTheTarget()
    {
        // Arrange
        using var intruder = new TestAuthor(_validator, _time);
        var target = _author.Write(TestRecords.AdvisoryDraft("genuine"));
        var retraction = intruder.Write(TestRecords.RetractionDraft(target.Id, "pre-emptive strike"));
        Store.Insert(retraction);

        // Act
        var outcome = Store.Insert(target);

        // Assert
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Equal(target.Payload, Store.Get(target.Id)!.Payload);
        Assert.False(Store.Get(target.Id)!.IsPurged);
    }

    [Fact]
    public void Insert_RetractionOfARetraction_IsStoredWithoutEffect()
    {
        // Arrange
        var target = _author.Write(TestRecords.AdvisoryDraft("mistake"));
        var retraction = _author.Write(TestRecords.RetractionDraft(target.Id, "oops"));
        Store.InsertBatch([target, retraction]);
        var undo = _author.Write(TestRecords.RetractionDraft(retraction.Id, "undo"));

        // Act
        var outcome = Store.Insert(undo);

        // Assert: the first retraction keeps its payload and the target stays purged.
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Equal(retraction.Payload, Store.Get(retraction.Id)!.Payload);
        Assert.True(Store.Get(target.Id)!.IsPurged);
    }

    [Fact]
    public void Insert_ForeignRetractionInEitherOrder_LeavesTwoNodesInTheSameState()
    {
        // Arrange: two nodes receive the same three records, in two orders. B's retraction
        // of A's record is chain-valid (B's seq 1); B's seq 2 follows it.
        using var intruder = new TestAuthor(_validator, _time);
        var target = _author.Write(TestRecords.AdvisoryDraft("genuine"));
        var retraction = intruder.Write(TestRecords.RetractionDraft(target.Id, "not yours to retract"));
        var next = intruder.Write(TestRecords.AdvisoryDraft("B's next record"));
        using var nodeX = RecordStore.Open(_dir.File("x.db"), _time);
        using var nodeY = RecordStore.Open(_dir.File("y.db"), _time);

        // Act
        var atX = nodeX.InsertBatch([target, retraction, next]);
        var atY = nodeY.InsertBatch([retraction, target, next]);

        // Assert: replication must converge whatever the arrival order; in particular
        // B's chain must not be blocked on one node and open on the other.
        var names = new Dictionary<RecordId, string> { [target.Id] = "A's target", [retraction.Id] = "B's retraction", [next.Id] = "B's next" };
        string State(RecordStore store) => string.Join("; ", store.ReadAll()
            .Select(r => $"{names[r.Id]} (payload {(r.Payload is null ? "gone" : "kept")})")
            .Order(StringComparer.Ordinal));
        Assert.Equal(State(nodeY), State(nodeX));
        Assert.Equal(atY[2].Status, atX[2].Status);
    }

    [Fact]
    public void Insert_RetractionOfARetractionInEitherOrder_LeavesTwoNodesInTheSameState()
    {
        // Arrange: A retracts its advisory with R1 (written on a restricted channel), then
        // retracts R1 with R2 (on the mesh channel). In order, R2 is refused ("a retraction
        // cannot be retracted"); a node that gets R2 before R1 must end the same way.
        using var recipient = NodeIdentity.Create();
        var advisory = _author.Write(TestRecords.AdvisoryDraft("mistake"));
        var r1 = _author.Write(TestRecords.RetractionDraft(advisory.Id, "oops") with { Audience = [recipient.Id] });
        var r2 = _author.Write(TestRecords.RetractionDraft(r1.Id, "undo"));
        using var nodeX = RecordStore.Open(_dir.File("x.db"), _time);
        using var nodeY = RecordStore.Open(_dir.File("y.db"), _time);

        // Act
        nodeX.InsertBatch([advisory, r1, r2]);
        nodeY.InsertBatch([advisory, r2, r1]);

        // Assert
        var names = new Dictionary<RecordId, string> { [advisory.Id] = "advisory", [r1.Id] = "R1", [r2.Id] = "R2" };
        string State(RecordStore store) => string.Join("; ", store.ReadAll()
            .Select(r => $"{names[r.Id]} (payload {(r.Payload is null ? "gone" : "kept")})")
            .Order(StringComparer.Ordinal));
        Assert.Equal(State(nodeX), State(nodeY));
    }

    // --- Expiry -----------------------------------------------------------------------------------

    [Fact]
    public void PurgeExpired_AfterTheExpiry_PurgesThePayload()
    {
        // Arrange
        var expires = TestClock.Start.AddHours(1);
        var record = _author.Write(TestRecords.AdvisoryDraft("short-lived") with { ExpiresUnixMs = expires.ToUnixTimeMilliseconds() });
        var forever = _author.Write(TestRecords.AdvisoryDraft("long-lived"));
        Store.InsertBatch([record, forever]);
        var beforeExpiry = Store.PurgeExpired();

        // Act
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var purged = Store.PurgeExpired();
        var again = Store.PurgeExpired();

        // Assert
        Assert.Empty(beforeExpiry);
        Assert.Equal([record.Id], purged);
        Assert.Empty(again);
        var stored = Store.Get(record.Id)!;
        Assert.Null(stored.Payload);
        Assert.True(stored.IsPurged);
        Assert.Equal("expired", stored.PurgeReason);
        Assert.Equal(forever.Payload, Store.Get(forever.Id)!.Payload);
        Assert.True(_validator.Validate(stored.HeaderBytes, stored.Signature, null).IsValid);
    }

    [Fact]
    public void Insert_PayloadArrivingAfterTheExpiryForAHeaderOnlyRecord_IsNotStored()
    {
        // Arrange: the header came first (payload not fetched yet); the payload comes
        // after the expiry but before the next expiry sweep.
        var expires = TestClock.Start.AddHours(1);
        var record = _author.Write(TestRecords.AdvisoryDraft("short-lived") with { ExpiresUnixMs = expires.ToUnixTimeMilliseconds() });
        Store.Insert(record.WithoutPayload());
        _time.Advance(TimeSpan.FromHours(2));

        // Act
        var outcome = Store.Insert(record);
        var stored = Store.Get(record.Id)!;

        // Assert: like a record that arrives already expired, it keeps no payload.
        Assert.Equal(StoreStatus.Duplicate, outcome.Status);
        Assert.Null(stored.Payload);
    }

    [Fact]
    public void Insert_RecordAlreadyExpiredOnArrival_IsStoredWithoutPayload()
    {
        // Arrange: written two hours ago, expired one hour ago.
        using var author = new TestAuthor(_validator, new FakeTimeProvider(TestClock.Start.AddHours(-2)));
        var record = author.Write(TestRecords.AdvisoryDraft("stale") with { ExpiresUnixMs = TestClock.Start.AddHours(-1).ToUnixTimeMilliseconds() });

        // Act
        var outcome = Store.Insert(record);
        var stored = Store.Get(record.Id)!;

        // Assert
        Assert.NotNull(record.Payload);
        Assert.Equal(StoreStatus.Stored, outcome.Status);
        Assert.Null(stored.Payload);
        Assert.True(stored.IsPurged);
        Assert.Equal("expired", stored.PurgeReason);
        Assert.Empty(Store.PurgeExpired());
    }
}
