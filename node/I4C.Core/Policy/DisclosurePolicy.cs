using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Policy;

/// <summary>Who a disclosure is for.</summary>
public enum DisclosureTarget
{
    /// <summary>This node's own operators, through the Admin API and the CLI.</summary>
    Operator,
    /// <summary>The city's own tools (its MISP, its SIEM): exports, feeds, TAXII.</summary>
    OwnTools,
    /// <summary>Anyone: public feeds.</summary>
    Public,
}

/// <summary>
/// The one component that decides what may leave the node, and for whom. The Admin API,
/// every export, feed and TAXII collection asks it; there is no second copy of these rules.
/// See docs/tlp.md.
/// </summary>
public sealed class DisclosurePolicy
{
    public DisclosurePolicy(NodeId self, Tlp exportCeiling)
    {
        ArgumentNullException.ThrowIfNull(self);
        if (!TlpLabels.IsDefined(exportCeiling) || exportCeiling == Tlp.Red)
        {
            throw new ArgumentException("The export ceiling is CLEAR, GREEN, AMBER or AMBER+STRICT; RED never leaves through an export.", nameof(exportCeiling));
        }
        Self = self;
        ExportCeiling = exportCeiling;
    }

    public NodeId Self { get; }

    /// <summary>The highest label exports may carry (configuration; default GREEN).</summary>
    public Tlp ExportCeiling { get; }

    /// <summary>
    /// Whether a record may be disclosed to the target, optionally under a stricter ceiling
    /// asked for by the caller (an export's --max-tlp, which can only lower the configured one).
    /// </summary>
    public bool Allows(RecordHeader header, DisclosureTarget target, Tlp? requestedCeiling = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (!TlpPolicy.Entitled(header, Self))
        {
            return false; // a node never discloses what it may not hold itself
        }
        switch (target)
        {
            case DisclosureTarget.Operator:
                // RED is shown only to the operators of the author and of its named recipients:
                // exactly the nodes entitled to hold it.
                return true;
            case DisclosureTarget.Public:
                // CLEAR, and meant for everyone: a CLEAR record its author addressed to named
                // recipients is still not for the public.
                return header.Tlp == Tlp.Clear && header.Audience.Count == 0;
            default:
                if (header.Tlp == Tlp.Red)
                {
                    return false;
                }
                var ceiling = requestedCeiling is { } asked && (int)asked < (int)ExportCeiling ? asked : ExportCeiling;
                return (int)header.Tlp <= (int)ceiling;
        }
    }

    /// <summary>The effective ceiling for an export that asked for <paramref name="requested"/> (never above the configured one).</summary>
    public Tlp EffectiveCeiling(Tlp? requested) =>
        requested is { } asked && TlpLabels.IsDefined(asked) && (int)asked < (int)ExportCeiling ? asked : ExportCeiling;
}
