using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Tests.Support;

/// <summary>
/// A node that writes chains: remembers its head per channel and signs each draft as the
/// next record there, validating it as a receiving node would.
/// </summary>
internal sealed class TestAuthor : IDisposable
{
    private readonly RecordValidator _validator;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (ulong Seq, RecordId Id)> _heads = new(StringComparer.Ordinal);

    public TestAuthor(RecordValidator validator, TimeProvider time)
    {
        _validator = validator;
        _time = time;
    }

    public NodeIdentity Identity { get; } = NodeIdentity.Create();

    public NodeId Id => Identity.Id;

    /// <summary>Signs and validates the draft as the next record on its channel.</summary>
    public ValidatedRecord Write(RecordDraft draft)
    {
        var channel = Convert.ToHexString(RecordWriter.ChannelOf(draft));
        var (seq, prev) = _heads.GetValueOrDefault(channel);
        var record = WriteAt(draft, seq + 1, prev);
        _heads[channel] = (seq + 1, record.Id);
        return record;
    }

    /// <summary>Signs and validates the draft at an arbitrary position, leaving the remembered heads alone.</summary>
    public ValidatedRecord WriteAt(RecordDraft draft, ulong seq, RecordId prev) =>
        _validator.MustValidate(SignAt(draft, seq, prev));

    /// <summary>
    /// Signs at a position. A draft for an explicit audience is marked encrypted, as the
    /// validator requires; these store-level tests keep its payload bytes as they are
    /// (real encryption is covered by GroupCryptoTests and the node tests).
    /// </summary>
    public SignedRecord SignAt(RecordDraft draft, ulong seq, RecordId prev)
    {
        if (draft.Audience.Count > 0 && draft.Encryption == I4C.Protocol.V1.EncryptionScheme.None)
        {
            draft = draft with { Encryption = I4C.Protocol.V1.EncryptionScheme.X25519HkdfXchacha20Poly1305 };
        }
        return RecordWriter.Sign(Identity, draft, seq, prev, _time.GetUtcNow());
    }

    public void Dispose() => Identity.Dispose();
}
