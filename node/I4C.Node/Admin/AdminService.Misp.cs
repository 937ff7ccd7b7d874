using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Interop.Misp;
using I4C.Core.Records;
using I4C.Node.Interop;
using I4C.Protocol.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Admin;

/// <summary>MISP interop RPCs (docs/interop.md): translate and delegate to <see cref="MispInterop"/>.</summary>
internal sealed partial class AdminService
{
    public override async Task<MispImportReply> ImportMisp(MispImportRequest request, ServerCallContext context)
    {
        var items = new List<MispImportRequestItem>();
        foreach (var e in request.Events)
        {
            if (e.Advisory is null)
            {
                throw Invalid($"{e.Source}: no advisory.");
            }
            var to = new List<NodeId>();
            foreach (var text in e.To)
            {
                to.Add(NodeId.TryParse(text, out var id) ? id! : throw Invalid($"'{text}' is not a node id (52 base32 characters)."));
            }
            items.Add(new MispImportRequestItem(e.Source, e.Advisory, e.Tlp, to));
        }
        IReadOnlyList<MispImportResult> results;
        try
        {
            results = await Misp(context).ImportAsync(items, request.DryRun, context.CancellationToken).ConfigureAwait(false);
        }
        catch (MispImportRefusedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        var reply = new MispImportReply();
        reply.Outcomes.AddRange(results.Select(r => new MispImportOutcome
        {
            Source = r.Source,
            EventUuid = r.EventUuid,
            Action = MispImportDecision.Name(r.Action),
            Id = r.Id ?? string.Empty,
            PreviousId = r.PreviousId ?? string.Empty,
            Tlp = r.Tlp,
            Indicators = (uint)r.Indicators,
        }));
        return reply;
    }

    public override async Task ExportMisp(MispExportRequest request, IServerStreamWriter<MispFeedFile> responseStream, ServerCallContext context)
    {
        if (request.MaxTlp != Tlp.Unspecified && !TlpLabels.IsDefined(request.MaxTlp))
        {
            throw Invalid("max_tlp is not a TLP label.");
        }
        Tlp? requested = request.MaxTlp == Tlp.Unspecified ? null : request.MaxTlp;
        var feed = Misp(context).BuildFeed(requested);
        var ceiling = disclosure.EffectiveCeiling(requested);
        foreach (var (uuid, json) in feed.Events)
        {
            await responseStream.WriteAsync(new MispFeedFile { Name = uuid + ".json", Content = ByteString.CopyFrom(json), Ceiling = ceiling }, context.CancellationToken).ConfigureAwait(false);
        }
        await responseStream.WriteAsync(new MispFeedFile { Name = MispFeed.HashesName, Content = ByteString.CopyFrom(feed.Hashes), Ceiling = ceiling }, context.CancellationToken).ConfigureAwait(false);
        // The manifest last: a folder with a manifest is complete.
        await responseStream.WriteAsync(new MispFeedFile { Name = MispFeed.ManifestName, Content = ByteString.CopyFrom(feed.Manifest), Ceiling = ceiling }, context.CancellationToken).ConfigureAwait(false);
    }

    private MispInterop Misp(ServerCallContext context) =>
        new(node, mesh, disclosure, context.GetHttpContext().RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<MispInterop>());
}
