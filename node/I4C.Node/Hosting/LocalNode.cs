using Google.Protobuf;
using I4C.Core.Crypto;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Hosting;

/// <summary>A publish or retraction the node will not do. The message tells the operator why and what to do.</summary>
public sealed class PublishRefusedException(string message, Rejection? rejection = null) : Exception(message)
{
    public Rejection? Rejection { get; } = rejection;
}

/// <summary>Why a record lookup failed.</summary>
public enum LookupFailure
{
    /// <summary>A well-formed id or prefix that matches no record.</summary>
    NotFound,
    /// <summary>A prefix that matches more than one record.</summary>
    Ambiguous,
    /// <summary>Not a record id: fewer than 8 hex digits, or not hex.</summary>
    Malformed,
}

/// <summary>A record id that is malformed, matches nothing, or matches more than one record.</summary>
public sealed class RecordLookupException(string message, LookupFailure failure) : Exception(message)
{
    public LookupFailure Failure { get; } = failure;
}

public sealed record VerifyReport(long Checked, long PayloadsChecked, IReadOnlyList<(RecordId Id, Rejection Problem)> Failures);

/// <summary>
/// The node's own actions on its store, independent of gRPC: publish (sign, self-check,
/// store durably), look up, retract, purge expired payloads, re-verify. One publish at
/// a time, so this node's chains never fork.
/// </summary>
public sealed class LocalNode : IDisposable
{
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly SemaphoreSlim _receiptGate = new(1, 1);
    private readonly ILogger _logger;

    public LocalNode(NodeIdentity identity, NodeProfile profile, RecordStore store, RecordValidator validator, TimeProvider time, ILogger<LocalNode> logger)
    {
        Identity = identity;
        Profile = profile;
        Store = store;
        Validator = validator;
        Time = time;
        _logger = logger;
        StartedAt = time.GetUtcNow();
    }

    public NodeIdentity Identity { get; }
    public NodeProfile Profile { get; }
    public RecordStore Store { get; }
    public RecordValidator Validator { get; }
    public TimeProvider Time { get; }
    public DateTimeOffset StartedAt { get; }

    /// <summary>The adopted mesh id, stamped on every record this node writes; empty before adoption.</summary>
    public byte[] MeshId { get; set; } = [];

    /// <summary>This node's identities before key rotations: restricted records encrypted to them stay readable.</summary>
    public IReadOnlyList<NodeIdentity> RetiredIdentities { get; set; } = [];

    /// <summary>Members and their keys, for encrypting to an explicit audience (set by the host once the mesh layer exists).</summary>
    public IMemberDirectory? Directory { get; set; }

    /// <summary>Resource limits and refusal counting (set by the host; null when a test builds the node by hand).</summary>
    public Operations.NodeLimits? Limits { get; set; }

    /// <summary>Raised after a record this node wrote is durably stored (the sync engine disseminates it).</summary>
    public event Action<ValidatedRecord>? Published;

    /// <summary>Signs and durably stores a new record; returns once it is committed.</summary>
    public async ValueTask<ValidatedRecord> PublishAsync(RecordDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        (draft, var readers) = Prepare(draft);
        await _publishGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        ValidationResult result;
        try
        {
            var channel = RecordWriter.ChannelOf(draft);
            var (seq, head) = Store.GetHead(Identity.Id, channel);
            if (draft.MeshId.Length == 0 && MeshId.Length > 0)
            {
                draft = draft with { MeshId = MeshId };
            }
            if (readers.Count > 0 && draft.Encryption == EncryptionScheme.None)
            {
                var binding = GroupCrypto.Binding(draft.MeshId, Identity.Id.PublicKey, channel, seq + 1, draft.Kind, draft.Tlp);
                try
                {
                    draft = draft with { Payload = GroupCrypto.Seal(draft.Payload, binding, readers), Encryption = EncryptionScheme.X25519HkdfXchacha20Poly1305 };
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    throw Refuse($"cannot encrypt to a recipient: {ex.Message}. Its member card carries an unusable key.");
                }
            }
            var wire = RecordWriter.Sign(Identity, draft, seq + 1, head, Time.GetUtcNow());
            result = Validator.Validate(wire);
            if (!result.IsValid)
            {
                Limits?.Rejected(result.Rejection!, "local publish");
                throw Refuse($"the record would be rejected by every peer: {result.Rejection}", result.Rejection);
            }
            if (Limits?.CheckLocalPublish(result.Record!) is { } limited)
            {
                // NodeLimits wrote the (rate-limited) log line.
                throw new PublishRefusedException(limited);
            }
            var outcome = Store.Insert(result.Record!);
            if (outcome.Status != StoreStatus.Stored)
            {
                throw Refuse($"the store refused the record: {outcome.Rejection?.ToString() ?? outcome.Status.ToString()}", outcome.Rejection);
            }
            NodeLog.RecordPublished(_logger, RecordKinds.Name(draft.Kind), result.Record!.Id.ToString(), TlpLabels.Display(draft.Tlp), seq + 1);
        }
        finally
        {
            _publishGate.Release();
        }
        Published?.Invoke(result.Record!);
        return result.Record!;
    }

    /// <summary>
    /// Runs every refusal <see cref="PublishAsync"/> applies before signing (listener, RED
    /// without recipients, membership, recipients, derived labels) and publishes nothing.
    /// Lets a batch (a MISP import) be refused as a whole before any of it is published.
    /// </summary>
    public void CheckPublishable(RecordDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        Prepare(draft);
    }

    private (RecordDraft Draft, List<GroupReader> Readers) Prepare(RecordDraft draft)
    {
        if (Profile.Participation == Participation.Listener && Core.Policy.TlpPolicy.IsContent(draft.Kind))
        {
            throw Refuse("this node is a listener: listeners receive records but publish none. Re-create the identity as an active member to publish.");
        }
        if (draft.Tlp == Tlp.Red && draft.Audience.Count == 0)
        {
            throw Refuse("TLP:RED needs named recipients: add --to NODE[,NODE…]. A RED record is delivered only to the nodes it names.");
        }
        if (Directory?.MeshId is not null && draft.Kind != RecordKind.MemberCard && Directory.Reader(Identity.Id) is null)
        {
            throw Refuse("this node is not a current member of its mesh (an applicant not yet admitted, or revoked): peers would refuse its records. `i4c members` shows its standing.");
        }
        var readers = new List<GroupReader>();
        if (draft.Audience.Count > 0)
        {
            if (Directory?.MeshId is null)
            {
                throw Refuse("records for named recipients (--to) are encrypted to the recipients' member keys, so this node must be in a mesh first (i4c charter adopt).");
            }
            var audience = draft.Audience.Where(a => !a.Equals(Identity.Id)).Distinct().ToList();
            if (audience.Count == 0)
            {
                throw Refuse("the only recipient named is this node itself; name other members with --to.");
            }
            foreach (var recipient in audience)
            {
                readers.Add(Directory.Reader(recipient)
                    ?? throw Refuse($"{recipient} is not a member of this mesh; `i4c members` lists who can receive records."));
            }
            readers.Add(Directory.Reader(Identity.Id) ?? new GroupReader(Identity.Id, Identity.AgreementPublicKey));
            draft = draft with { Audience = audience };
        }
        CheckDerivedLabels(draft);
        return (draft, readers);
    }

    /// <summary>
    /// Sends a signed receipt for a record addressed to this node (TLP:RED, audience: the
    /// author only), once per record and type.
    /// </summary>
    public async ValueTask SendReceiptAsync(StoredRecord target, ReceiptType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        // Never a receipt for a receipt: two nodes would acknowledge each other forever.
        if (target.Header.Kind == RecordKind.Receipt || target.Author.Equals(Identity.Id) || target.Header.Audience.Count == 0 || !Core.Policy.TlpPolicy.Entitled(target.Header, Identity.Id) ||
            !(target.Header.Tlp == Tlp.Red || target.Header.ReceiptsRequested) || Directory?.Reader(target.Author) is null)
        {
            return;
        }
        // One receipt at a time: two operators opening the same record at once (or a delivery racing a show)
        // must not both find "not sent yet" and send it twice.
        await _receiptGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Store.ReceiptSent(target.Id, (int)type))
            {
                return;
            }
            var receipt = new Receipt { Target = ByteString.CopyFrom(target.Id.Span), Type = type, AtUnixMs = Time.GetUtcNow().ToUnixTimeMilliseconds() };
            await PublishAsync(new RecordDraft
            {
                Kind = RecordKind.Receipt,
                Tlp = Tlp.Red,
                Payload = receipt.ToByteArray(),
                Audience = [target.Author],
            }, cancellationToken).ConfigureAwait(false);
            // Marked after publishing: a crash in between sends the receipt twice, never not at all.
            Store.MarkReceiptSent(target.Id, (int)type);
        }
        finally
        {
            _receiptGate.Release();
        }
    }

    /// <summary>A record derived from others carries at least the strictest of their labels (those this node holds).</summary>
    private void CheckDerivedLabels(RecordDraft draft)
    {
        foreach (var reference in draft.References.Where(r => r.Type == ReferenceType.DerivedFrom && r.RecordId.Length == RecordId.Length))
        {
            var source = Store.Get(RecordId.FromBytes(reference.RecordId.Span));
            if (source is not null && (int)source.Header.Tlp > (int)draft.Tlp && !source.Author.Equals(Identity.Id))
            {
                throw Refuse($"this record derives from {source.Id}, labelled {TlpLabels.Display(source.Header.Tlp)}; it must carry at least that label (only the source can relabel).");
            }
        }
    }

    /// <summary>The plaintext payload of a stored record as this node may read it: decrypted when it is a reader; null when purged or not readable here.</summary>
    public byte[]? ReadPayload(StoredRecord stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Payload is null)
        {
            return null;
        }
        if (stored.Header.Encryption == EncryptionScheme.None)
        {
            return stored.Payload;
        }
        var binding = GroupCrypto.Binding(stored.Header.MeshId.Span, stored.Header.Author.Span, stored.Header.Channel.Span, stored.Header.Seq, stored.Header.Kind, stored.Header.Tlp);
        return GroupCrypto.Open(stored.Payload, binding, Identity)
            ?? RetiredIdentities.Select(old => GroupCrypto.Open(stored.Payload, binding, old)).FirstOrDefault(p => p is not null);
    }

    private PublishRefusedException Refuse(string message, Rejection? rejection = null)
    {
        NodeLog.PublishRefused(_logger, message);
        return new PublishRefusedException(message, rejection);
    }

    /// <summary>Finds a record by full id or a unique hex prefix of at least 8 digits.</summary>
    public StoredRecord Resolve(string idOrPrefix)
    {
        var text = (idOrPrefix ?? string.Empty).Trim().ToLowerInvariant();
        if (text.Length < 8 || !text.All(Uri.IsHexDigit))
        {
            throw new RecordLookupException($"'{idOrPrefix}' is not a record id: give the 64 hex digits `i4c feed` shows, or at least the first 8.", LookupFailure.Malformed);
        }
        if (RecordId.TryParse(text, out var id))
        {
            return Store.Get(id) ?? throw new RecordLookupException($"no record {text} on this node; `i4c feed` lists what it holds.", LookupFailure.NotFound);
        }
        var matches = Store.FindByPrefix(text, 2);
        return matches.Count switch
        {
            0 => throw new RecordLookupException($"no record starts with {text} on this node; `i4c feed` lists what it holds.", LookupFailure.NotFound),
            1 => Store.Get(matches[0])!,
            _ => throw new RecordLookupException($"more than one record starts with {text}; give more digits.", LookupFailure.Ambiguous),
        };
    }

    /// <summary>Retracts one of this node's own records: publishes a retraction on the same channel, which purges the payload.</summary>
    public async ValueTask<(ValidatedRecord Retraction, StoredRecord Target)> RetractAsync(string idOrPrefix, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw Refuse("a retraction needs a reason (--reason \"…\"); recipients see it.");
        }
        var target = Resolve(idOrPrefix);
        if (!target.Author.Equals(Identity.Id))
        {
            throw Refuse($"record {target.Id} was written by {target.Author}; only its author can retract it.");
        }
        if (target.Header.Kind == RecordKind.Retraction)
        {
            throw Refuse($"record {target.Id} is itself a retraction and cannot be retracted.");
        }
        if (target.PurgeReason?.StartsWith("retracted", StringComparison.Ordinal) == true)
        {
            throw Refuse($"record {target.Id} is already retracted ({target.PurgeReason}).");
        }
        var payload = new Retraction { Target = ByteString.CopyFrom(target.Id.Span), Reason = reason.Trim() }.ToByteArray();
        // The retraction goes to the same audience on the same channel as its target.
        var draft = new RecordDraft
        {
            Kind = RecordKind.Retraction,
            Tlp = target.Header.Tlp,
            Payload = payload,
            Audience = target.Header.Audience.Select(a => NodeId.FromPublicKey(a.Span)).ToList(),
            MeshId = target.Header.MeshId.ToByteArray(),
            References = [new Reference { Type = ReferenceType.Retracts, RecordId = ByteString.CopyFrom(target.Id.Span) }],
        };
        var retraction = await PublishAsync(draft, cancellationToken).ConfigureAwait(false);
        NodeLog.RecordRetracted(_logger, target.Id.ToString(), retraction.Id.ToString());
        return (retraction, target);
    }

    public IReadOnlyList<RecordId> PurgeExpired()
    {
        var purged = Store.PurgeExpired();
        if (purged.Count > 0)
        {
            NodeLog.PayloadsExpired(_logger, purged.Count);
        }
        return purged;
    }

    /// <summary>Re-verifies every stored header, signature, payload hash and chain link, streaming the store page by page (memory bounded by a page, not the store).</summary>
    public VerifyReport Verify()
    {
        var result = StoreVerification.Run(Store, Validator);
        foreach (var (id, problem) in result.Failures)
        {
            NodeLog.VerifyFailed(_logger, id.ToString(), problem.ToString());
        }
        return new VerifyReport(result.Checked, result.PayloadsChecked, result.Failures);
    }

    public void Dispose()
    {
        _publishGate.Dispose();
        _receiptGate.Dispose();
    }
}
