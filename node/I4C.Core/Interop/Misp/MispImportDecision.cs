using I4C.Protocol.V1;

namespace I4C.Core.Interop.Misp;

/// <summary>What an import does with one event.</summary>
public enum MispImportAction
{
    /// <summary>No current record of this event by this node: publish it.</summary>
    New,
    /// <summary>This node's current record of the event differs: publish one that supersedes it.</summary>
    Superseding,
    /// <summary>The same advisory, label and audience are already current: publish nothing.</summary>
    Unchanged,
    /// <summary>The event is older (MISP timestamp) than the version already current: publish nothing.</summary>
    Stale,
}

/// <summary>This node's current (not superseded) record of a MISP event.</summary>
public sealed record MispCurrentVersion(string RecordId, Advisory Advisory, Tlp Tlp, IReadOnlyList<string> Audience);

/// <summary>The rule that keeps re-imports from duplicating: one current record per event uuid and author.</summary>
public static class MispImportDecision
{
    public static MispImportAction Decide(MispCurrentVersion? current, Advisory incoming, Tlp tlp, IReadOnlyCollection<string> audience)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        ArgumentNullException.ThrowIfNull(audience);
        if (current is null)
        {
            return MispImportAction.New;
        }
        if (current.Advisory.Equals(incoming) && current.Tlp == tlp && current.Audience.Order(StringComparer.Ordinal).SequenceEqual(audience.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            return MispImportAction.Unchanged;
        }
        if (incoming.SourceTimestampUnixMs > 0 && current.Advisory.SourceTimestampUnixMs > incoming.SourceTimestampUnixMs)
        {
            return MispImportAction.Stale;
        }
        return MispImportAction.Superseding;
    }

    public static string Name(MispImportAction action) => action switch
    {
        MispImportAction.New => "new",
        MispImportAction.Superseding => "superseding",
        MispImportAction.Unchanged => "unchanged",
        _ => "stale",
    };
}
