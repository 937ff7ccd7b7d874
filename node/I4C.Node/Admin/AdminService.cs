using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Protocol.V1;
using I4C.Storage;
using AdminBase = I4C.Protocol.V1.Admin.AdminBase;

namespace I4C.Node.Admin;

/// <summary>Translates Admin gRPC calls to <see cref="LocalNode"/> and back. Holds no logic of its own.</summary>
internal sealed class AdminService(LocalNode node, NodeRuntimeInfo runtime) : AdminBase
{
    public const int MaxTitleLength = 300;
    public const int MaxFeed = 1000;

    public override Task<StatusReply> GetStatus(StatusRequest request, ServerCallContext context)
    {
        var counts = node.Store.Counts();
        var now = node.Time.GetUtcNow();
        var reply = new StatusReply
        {
            NodeId = node.Identity.Id.Text,
            Fingerprint = node.Identity.Id.Fingerprint,
            Name = node.Profile.Name,
            Country = node.Profile.Country,
            Category = Core.Identity.NodeProfile.Format(node.Profile.Category),
            Participation = Core.Identity.NodeProfile.Format(node.Profile.Participation),
            MeshId = string.Empty,
            StartedUnixMs = node.StartedAt.ToUnixTimeMilliseconds(),
            UptimeSeconds = (long)(now - node.StartedAt).TotalSeconds,
            TotalRecords = (ulong)counts.Total,
            PurgedRecords = (ulong)counts.Purged,
            MeshEndpoint = runtime.MeshEndpoint,
            UdpPort = runtime.UdpPort,
            Version = NodeRuntimeInfo.Version,
            SchemaVersion = node.Store.SchemaVersion,
        };
        reply.Counts.AddRange(counts.ByKindAndTlp.Select(c => new RecordCount { Kind = c.Kind, Tlp = c.Tlp, Count = (ulong)c.Count }));
        return Task.FromResult(reply);
    }

    public override async Task<PublishReply> Publish(PublishRequest request, ServerCallContext context)
    {
        if (!TlpLabels.IsDefined(request.Tlp))
        {
            throw Invalid("a TLP label is required: clear, green, amber, amber+strict or red.");
        }
        var (kind, payload, title, indicators) = request.ContentCase switch
        {
            PublishRequest.ContentOneofCase.Advisory => (RecordKind.Advisory, (IMessage)request.Advisory, request.Advisory.Title, request.Advisory.Indicators),
            PublishRequest.ContentOneofCase.Incident => (RecordKind.Incident, request.Incident, request.Incident.Title, request.Incident.Indicators),
            PublishRequest.ContentOneofCase.Practice => (RecordKind.Practice, request.Practice, request.Practice.Title, request.Practice.Indicators),
            _ => throw Invalid("nothing to publish: set an advisory, incident or practice."),
        };
        if (string.IsNullOrWhiteSpace(title))
        {
            throw Invalid("the title is empty; give --title.");
        }
        if (title.Length > MaxTitleLength)
        {
            throw Invalid($"the title is longer than {MaxTitleLength} characters.");
        }
        foreach (var indicator in indicators)
        {
            if (Indicators.Problem(indicator) is { } problem)
            {
                throw Invalid(problem + ".");
            }
        }
        var audience = new List<Core.Identity.NodeId>();
        foreach (var to in request.To)
        {
            audience.Add(Core.Identity.NodeId.TryParse(to, out var id) ? id! : throw Invalid($"'{to}' is not a node id (52 base32 characters)."));
        }
        if (request.ExpiresUnixMs != 0 && request.ExpiresUnixMs <= node.Time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            throw Invalid("the expiry lies in the past.");
        }
        var draft = new RecordDraft
        {
            Kind = kind,
            Tlp = request.Tlp,
            Payload = payload.ToByteArray(),
            Audience = audience,
            ExpiresUnixMs = request.ExpiresUnixMs,
            References = request.References.ToList(),
            ReceiptsRequested = request.ReceiptsRequested,
        };
        var record = await Call(() => node.PublishAsync(draft, context.CancellationToken)).ConfigureAwait(false);
        return new PublishReply { Id = record.Id.ToString(), Seq = record.Seq };
    }

    public override Task<FeedReply> Feed(FeedRequest request, ServerCallContext context)
    {
        var limit = request.Limit <= 0 ? 50 : Math.Min(request.Limit, MaxFeed);
        var records = node.Store.Feed(
            request.Kind == RecordKind.Unspecified ? null : request.Kind,
            request.Tlp == Tlp.Unspecified ? null : request.Tlp,
            limit);
        var reply = new FeedReply();
        reply.Records.AddRange(records.Select(Summarize));
        return Task.FromResult(reply);
    }

    public override Task<ShowReply> Show(ShowRequest request, ServerCallContext context)
    {
        var stored = Lookup(request.Id);
        var reply = new ShowReply
        {
            Summary = Summarize(stored),
            PurgeReason = stored.PurgeReason ?? string.Empty,
            PurgedUnixMs = stored.PurgedUnixMs ?? 0,
            Prev = Convert.ToHexStringLower(stored.Header.Prev.Span),
            PayloadHash = Convert.ToHexStringLower(stored.Header.PayloadHash.Span),
            PayloadSize = stored.Header.PayloadSize,
            Raw = stored.ToWire(),
        };
        reply.References.AddRange(stored.Header.References);
        switch (Decode(stored))
        {
            case Advisory a: reply.Advisory = a; break;
            case Incident i: reply.Incident = i; break;
            case Practice p: reply.Practice = p; break;
            case Retraction r: reply.Retraction = r; break;
        }
        return Task.FromResult(reply);
    }

    public override async Task<RetractReply> Retract(RetractRequest request, ServerCallContext context)
    {
        var (retraction, target) = await Call(() => node.RetractAsync(request.Id, request.Reason, context.CancellationToken)).ConfigureAwait(false);
        return new RetractReply { RetractionId = retraction.Id.ToString(), TargetId = target.Id.ToString() };
    }

    public override Task<VerifyReply> Verify(VerifyRequest request, ServerCallContext context)
    {
        var report = node.Verify();
        var reply = new VerifyReply { Checked = (ulong)report.Checked, PayloadsChecked = (ulong)report.PayloadsChecked };
        reply.Failures.AddRange(report.Failures.Select(f => new VerifyFailure { Id = f.Id.ToString(), Reason = f.Problem.Code, Detail = f.Problem.Detail }));
        return Task.FromResult(reply);
    }

    private StoredRecord Lookup(string id)
    {
        try
        {
            return node.Resolve(id);
        }
        catch (RecordLookupException ex)
        {
            throw new RpcException(new Status(ex.Ambiguous ? StatusCode.InvalidArgument : StatusCode.NotFound, ex.Message));
        }
    }

    private static async Task<T> Call<T>(Func<ValueTask<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (PublishRefusedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (RecordLookupException ex)
        {
            throw new RpcException(new Status(ex.Ambiguous ? StatusCode.InvalidArgument : StatusCode.NotFound, ex.Message));
        }
    }

    private static IMessage? Decode(StoredRecord stored)
    {
        if (stored.Payload is null || stored.Header.Encryption != EncryptionScheme.None)
        {
            return null;
        }
        try
        {
            return PayloadCodec.Decode(stored.Header.Kind, stored.Payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static RecordSummary Summarize(StoredRecord stored)
    {
        var summary = new RecordSummary
        {
            Id = stored.Id.ToString(),
            Author = stored.Author.Text,
            Kind = stored.Header.Kind,
            Tlp = stored.Header.Tlp,
            Title = PayloadCodec.Title(Decode(stored)),
            CreatedUnixMs = stored.Header.CreatedUnixMs,
            Seq = stored.Header.Seq,
            Purged = stored.IsPurged,
            ExpiresUnixMs = stored.Header.ExpiresUnixMs,
            Channel = Convert.ToHexStringLower(stored.Header.Channel.Span),
        };
        summary.Audience.AddRange(stored.Header.Audience.Select(a => Core.Identity.NodeId.FromPublicKey(a.Span).Text));
        return summary;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}

/// <summary>What the host learned when it bound its listeners.</summary>
public sealed class NodeRuntimeInfo
{
    public static string Version { get; } = typeof(NodeRuntimeInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public string AdminEndpoint { get; set; } = string.Empty;
    public string MeshEndpoint { get; set; } = string.Empty;
    public int UdpPort { get; set; }
}
