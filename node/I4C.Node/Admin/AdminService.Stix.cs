using Grpc.Core;
using I4C.Node.Interop;
using I4C.Protocol.V1;

namespace I4C.Node.Admin;

/// <summary>STIX 2.1 export (docs/interop.md, "STIX 2.1 and TAXII 2.1").</summary>
internal sealed partial class AdminService
{
    public override Task<ExportStixReply> ExportStix(ExportStixRequest request, ServerCallContext context)
    {
        if (request.MaxTlp == Tlp.Red)
        {
            throw Invalid("--max-tlp red: TLP:RED never leaves the node; use clear, green, amber or amber+strict.");
        }
        if (request.MaxTlp != Tlp.Unspecified && !Core.Records.TlpLabels.IsDefined(request.MaxTlp))
        {
            throw Invalid("--max-tlp: use clear, green, amber or amber+strict.");
        }
        var source = new StixSource(node, mesh, disclosure);
        Tlp? requested = request.MaxTlp == Tlp.Unspecified ? null : request.MaxTlp;
        var export = source.Export(requested);
        var reply = new ExportStixReply
        {
            BundleJson = export.BundleJson(),
            Ceiling = source.CeilingFor(requested),
            Highest = export.Highest ?? Tlp.Unspecified,
            Reports = (uint)export.Reports,
            Indicators = (uint)export.Indicators,
            Objects = (uint)export.Objects.Count,
        };
        reply.Unsupported.AddRange(export.Unsupported.Select(u => new UnsupportedIndicators { Type = u.Key, Count = (uint)u.Value }));
        return Task.FromResult(reply);
    }
}
