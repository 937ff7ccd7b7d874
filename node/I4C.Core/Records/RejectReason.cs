namespace I4C.Core.Records;

/// <summary>Why a record was refused. Every rejection names exactly one of these.</summary>
public enum RejectReason
{
    /// <summary>Bytes that do not parse, or fields of the wrong length or shape.</summary>
    Malformed,
    /// <summary>A header version this node does not speak.</summary>
    UnsupportedVersion,
    /// <summary>The Ed25519 signature does not verify against the author's key.</summary>
    BadSignature,
    /// <summary>The payload's SHA-256 or length differs from the header's.</summary>
    WrongPayloadHash,
    /// <summary>The record is further along the author's chain than the next expected one.</summary>
    ChainGap,
    /// <summary>The record's previous-hash does not match the author's head on the channel.</summary>
    ChainMismatch,
    /// <summary>Another header already holds this (author, channel, seq): the author forked its chain.</summary>
    Equivocation,
    /// <summary>The header, the payload, or a list inside the header exceeds its limit.</summary>
    Oversize,
    /// <summary>The creation time is further in the future than the allowed clock skew.</summary>
    TimestampInFuture,
    /// <summary>The TLP label and the audience do not go together (RED without recipients, channel not matching audience, unknown label).</summary>
    InvalidTlpAudience,
    /// <summary>The record kind is not one this node knows.</summary>
    UnknownKind,
    /// <summary>The record belongs to another mesh.</summary>
    WrongMesh,
    /// <summary>A reference rule is broken (e.g. retracting a record of another author).</summary>
    InvalidReference,
    /// <summary>The author is not a current member of this node's mesh.</summary>
    NotMember,
    /// <summary>The record's audience does not include this node.</summary>
    NotInAudience,
    /// <summary>A TLP:RED record arrived from someone other than its author.</summary>
    RedRelayed,
    /// <summary>A listener member published content (listeners publish only cards, membership records and receipts).</summary>
    ListenerPublished,
    /// <summary>A record derived from another author's record carries a lower TLP label than its source.</summary>
    LabelLowered,
}

/// <summary>A rejection: the reason and a sentence that says what exactly was wrong.</summary>
public sealed record Rejection(RejectReason Reason, string Detail)
{
    /// <summary>The reason in SCREAMING_SNAKE form, as shown by the CLI and in logs: BAD_SIGNATURE.</summary>
    public string Code => ReasonCode(Reason);

    public static string ReasonCode(RejectReason reason) =>
        string.Concat(reason.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    public override string ToString() => $"{Code}: {Detail}";
}
