using Google.Protobuf;
using Grpc.Core;
using I4C.Core.Identity;
using I4C.Core.Membership;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Node.Udp;
using I4C.Protocol.V1;
using I4C.Storage;
using AdminBase = I4C.Protocol.V1.Admin.AdminBase;

namespace I4C.Node.Admin;

/// <summary>Translates Admin gRPC calls to <see cref="LocalNode"/> and back. Holds no logic of its own.</summary>
internal sealed partial class AdminService(LocalNode node, NodeRuntimeInfo runtime, MeshState mesh, SyncEngine engine, ConnectionManager connections, ControlPlane udp, PeerScores scores, Core.Policy.DisclosurePolicy disclosure, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime) : AdminBase
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
            MeshId = mesh.MeshId is { } meshId ? Convert.ToHexStringLower(meshId) : string.Empty,
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
        if (request.ContentCase == PublishRequest.ContentOneofCase.Practice)
        {
            NormalizePracticeDomains(request.Practice);
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
        // A record its author replaced (SUPERSEDES) is left out; `i4c show` still shows it, with what replaced it.
        reply.Records.AddRange(records.Where(r => disclosure.Allows(r.Header, Core.Policy.DisclosureTarget.Operator)).Select(Summarize).Where(s => s.SupersededBy.Length == 0));
        return Task.FromResult(reply);
    }

    public override async Task<ShowReply> Show(ShowRequest request, ServerCallContext context)
    {
        var stored = Lookup(request.Id);
        if (!disclosure.Allows(stored.Header, Core.Policy.DisclosureTarget.Operator))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "this record is not for this node's operators."));
        }
        var reply = new ShowReply
        {
            Summary = Summarize(stored),
            PurgeReason = stored.PurgeReason ?? string.Empty,
            PurgedUnixMs = stored.PurgedUnixMs ?? 0,
            Prev = Convert.ToHexStringLower(stored.Header.Prev.Span),
            PayloadHash = Convert.ToHexStringLower(stored.Header.PayloadHash.Span),
            Encryption = stored.Header.Encryption,
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
            case Receipt r: reply.Receipt = r; break;
        }
        if (reply.ContentCase != ShowReply.ContentOneofCase.None && (stored.Header.Tlp == Tlp.Red || stored.Header.ReceiptsRequested))
        {
            try
            {
                await node.SendReceiptAsync(stored, ReceiptType.Read, context.CancellationToken).ConfigureAwait(false);
            }
            catch (PublishRefusedException)
            {
                // The author is no longer a member: nobody to tell.
            }
        }
        return reply;
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

    public override async Task<ExportCardReply> ExportCard(ExportCardRequest request, ServerCallContext context)
    {
        var card = await Call(() => mesh.EnsureCardAsync(context.CancellationToken)).ConfigureAwait(false);
        return new ExportCardReply
        {
            Card = card.ToWire(),
            NodeId = node.Identity.Id.Text,
            Fingerprint = node.Identity.Id.Fingerprint,
            Name = node.Profile.Name,
        };
    }

    public override async Task<CharterReply> CreateCharter(CreateCharterRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Title))
        {
            throw Invalid("the charter needs a title (--title).");
        }
        if (request.AgreementSha256.Length != 32)
        {
            throw Invalid("the agreement's SHA-256 is missing.");
        }
        if (mesh.HasMesh)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node already belongs to a mesh; a node founds at most one."));
        }
        var own = await Call(() => mesh.EnsureCardAsync(context.CancellationToken)).ConfigureAwait(false);
        var cards = new List<SignedRecord> { own.ToWire() };
        foreach (var card in request.FounderCards)
        {
            var result = node.Validator.Validate(card);
            if (!result.IsValid)
            {
                throw Invalid($"a founder card does not verify: {result.Rejection}.");
            }
            if (result.Record!.Header.Kind != RecordKind.MemberCard)
            {
                throw Invalid("a founder file is not a member card.");
            }
            if (result.Record.Author.Equals(node.Identity.Id))
            {
                continue; // this node's own card is already in
            }
            if (cards.Any(c => c.Header.Span.SequenceEqual(card.Header.Span)))
            {
                continue;
            }
            if (cards.Select(c => node.Validator.Validate(c).Record!.Author).Any(a => a.Equals(result.Record.Author)))
            {
                throw Invalid($"two different cards of founder {result.Record.Author}; give only the newest.");
            }
            cards.Add(card);
        }
        if (request.AdmissionThreshold < 1 || request.AdmissionThreshold > cards.Count)
        {
            throw Invalid($"--threshold {request.AdmissionThreshold}: give a number from 1 to the number of founders ({cards.Count}).");
        }
        CharterDocument document;
        try
        {
            document = CharterRules.Create(node.Identity, request.Title.Trim(), request.AgreementSha256.ToByteArray(), request.AgreementName,
                request.AdmissionThreshold, request.RevocationThreshold, cards, node.Time.GetUtcNow(), request.BenchmarkMinContributors);
        }
        catch (CharterException ex)
        {
            throw Invalid(ex.Message);
        }
        return Describe(document);
    }

    public override Task<CharterReply> SignCharter(CharterDocumentRequest request, ServerCallContext context)
    {
        var info = Inspect(request.Document);
        if (!info.Names(node.Identity.Id))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "the charter does not name this node as a founder; only founders sign it."));
        }
        return Task.FromResult(Describe(CharterRules.Sign(node.Identity, request.Document)));
    }

    public override async Task<CharterReply> AdoptCharter(CharterDocumentRequest request, ServerCallContext context)
    {
        if (request.Document is null)
        {
            throw Invalid("no charter given.");
        }
        try
        {
            await mesh.AdoptAsync(request.Document, context.CancellationToken).ConfigureAwait(false);
        }
        catch (CharterException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        return Describe(request.Document);
    }

    private CharterInfo Inspect(CharterDocument? document)
    {
        if (document is null)
        {
            throw Invalid("no charter given.");
        }
        try
        {
            return CharterRules.Inspect(document, node.Validator);
        }
        catch (CharterException ex)
        {
            throw Invalid(ex.Message);
        }
    }

    private CharterReply Describe(CharterDocument document)
    {
        var info = Inspect(document);
        var reply = new CharterReply
        {
            Document = document,
            MeshId = info.MeshIdHex,
            Title = info.Charter.Title,
            AdmissionThreshold = info.Charter.AdmissionThreshold,
            RevocationThreshold = info.Charter.RevocationThreshold,
            Complete = info.Complete,
        };
        reply.Founders.AddRange(info.Founders.Select(f => new CharterFounder
        {
            NodeId = f.Id.Text,
            Name = f.Card.Name,
            Country = f.Card.Country,
            Fingerprint = f.Id.Fingerprint,
            Signed = info.SignedBy.Contains(f.Id),
        }));
        return reply;
    }

    public override Task<ListPeersReply> ListPeers(ListPeersRequest request, ServerCallContext context)
    {
        var reply = new ListPeersReply();
        var linked = new HashSet<NodeId>();
        foreach (var link in engine.Links)
        {
            linked.Add(link.Peer);
            var (up, rtt) = udp.StateOf(link.Peer);
            reply.Peers.Add(new PeerInfo
            {
                NodeId = link.Peer.Text,
                Name = link.Name,
                Endpoint = link.Endpoint,
                State = "connected",
                RttMs = rtt,
                LastSyncUnixMs = link.LastSyncUnixMs,
                Score = scores.ScoreOf(link.Peer),
                Direction = link.Outbound ? "outbound" : "inbound",
                ConnectedSinceUnixMs = link.ConnectedSince.ToUnixTimeMilliseconds(),
                UdpConnected = up,
            });
        }
        foreach (var member in mesh.Roster.Members)
        {
            if (member.Id.Equals(node.Identity.Id) || linked.Contains(member.Id))
            {
                continue;
            }
            var candidate = connections.Candidates.FirstOrDefault(c => member.Id.Equals(c.Member));
            var state = scores.IsBanned(member.Id) ? "banned"
                : udp.UnreachableSince(member.Id) is not null ? "unreachable"
                : candidate is { Dialing: true } ? "connecting"
                : candidate is { Failures: > 0 } ? "backing-off"
                : "not connected";
            reply.Peers.Add(new PeerInfo
            {
                NodeId = member.Id.Text,
                Name = member.Card.Name,
                Endpoint = candidate?.Endpoint ?? member.Card.MeshEndpoints.FirstOrDefault() ?? string.Empty,
                State = state,
                RttMs = -1,
                Score = scores.ScoreOf(member.Id),
                Direction = string.Empty,
            });
        }
        return Task.FromResult(reply);
    }

    public override Task<ListMembersReply> ListMembers(ListMembersRequest request, ServerCallContext context)
    {
        var roster = mesh.Roster;
        var reply = new ListMembersReply();
        var proofs = node.Store.ForkProofs();
        if (roster.Charter is { } charter)
        {
            reply.MeshId = charter.MeshIdHex;
            reply.Title = charter.Charter.Title;
            reply.AdmissionThreshold = charter.Charter.AdmissionThreshold;
            reply.RevocationThreshold = charter.Charter.RevocationThreshold;
        }
        foreach (var standing in roster.Standings.OrderBy(m => m.Kind).ThenBy(m => m.Card.Name, StringComparer.OrdinalIgnoreCase))
        {
            var info = new MemberInfo
            {
                NodeId = standing.Id.Text,
                Name = standing.Card.Name,
                Country = standing.Card.Country,
                Category = MemberCards.Format(standing.Card.Category),
                Participation = MemberCards.Format(standing.Card.Participation),
                Fingerprint = standing.Id.Fingerprint,
                Status = standing.Kind switch
                {
                    StandingKind.Member => "member",
                    StandingKind.Applicant => "applicant",
                    StandingKind.Revoked => "revoked",
                    _ => "replaced",
                },
                Reason = standing.Reason,
                Founder = standing.Founder,
                ForkProofs = (uint)proofs.Count(p => p.Author.Equals(standing.Id)),
                Endorsements = (uint)standing.Endorsements,
            };
            info.Endpoints.AddRange(standing.Card.MeshEndpoints);
            reply.Members.Add(info);
        }
        reply.ForkProofs.AddRange(proofs.Select(p => new ForkProofInfo
        {
            Author = p.Author.Text,
            Channel = Convert.ToHexStringLower(p.Channel),
            Seq = p.Seq,
            FirstId = p.FirstId.ToString(),
            SecondId = p.SecondId.ToString(),
            DetectedUnixMs = p.DetectedUnixMs,
        }));
        return Task.FromResult(reply);
    }

    public override async Task<SyncStatusReply> SyncStatus(SyncStatusRequest request, ServerCallContext context)
    {
        var wait = TimeSpan.FromMilliseconds(request.WaitMs <= 0 ? 2000 : Math.Min(request.WaitMs, 3_600_000));
        var (inSync, missing, peers) = await engine.WaitInSyncAsync(wait, context.CancellationToken).ConfigureAwait(false);
        var reply = new SyncStatusReply { InSync = inSync && peers.Count > 0, ConnectedPeers = (uint)peers.Count, Missing = (ulong)Math.Max(0, missing) };
        reply.Peers.AddRange(peers.Select(p => p.Text));
        return reply;
    }

    private StoredRecord Lookup(string id)
    {
        try
        {
            return node.Resolve(id);
        }
        catch (RecordLookupException ex)
        {
            throw LookupFailed(ex);
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
            throw LookupFailed(ex);
        }
    }

    public override Task<ReceiptsReply> Receipts(ReceiptsRequest request, ServerCallContext context)
    {
        var target = Lookup(request.Id);
        if (!target.Author.Equals(node.Identity.Id))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"record {target.Id} was written by {target.Author}; receipts go to the author only."));
        }
        var seen = new Dictionary<Core.Identity.NodeId, RecipientReceipt>();
        foreach (var recipient in target.Header.Audience)
        {
            var id = Core.Identity.NodeId.FromPublicKey(recipient.Span);
            seen[id] = new RecipientReceipt { NodeId = id.Text, Name = mesh.Roster.Get(id)?.Card.Name ?? string.Empty };
        }
        foreach (var stored in node.Store.OfKind(RecordKind.Receipt))
        {
            if (Decode(stored) is not Receipt receipt || !receipt.Target.Span.SequenceEqual(target.Id.Span) || !seen.TryGetValue(stored.Author, out var entry))
            {
                continue;
            }
            if (receipt.Type == ReceiptType.Delivered && entry.DeliveredUnixMs == 0)
            {
                entry.DeliveredUnixMs = receipt.AtUnixMs;
            }
            else if (receipt.Type == ReceiptType.Read && entry.ReadUnixMs == 0)
            {
                entry.ReadUnixMs = receipt.AtUnixMs;
            }
        }
        var reply = new ReceiptsReply { Id = target.Id.ToString(), Tlp = target.Header.Tlp };
        reply.Recipients.AddRange(seen.Values);
        return Task.FromResult(reply);
    }

    public override Task<AuditReply> Audit(AuditRequest request, ServerCallContext context)
    {
        RecordId? id = string.IsNullOrWhiteSpace(request.Id) ? null : Lookup(request.Id).Id;
        var limit = request.Limit <= 0 ? 100 : Math.Min(request.Limit, 10_000);
        var reply = new AuditReply();
        reply.Entries.AddRange(node.Store.Audit(id, limit).Select(e => new Protocol.V1.AuditEntry
        {
            RecordId = e.Record.ToString(),
            Peer = e.Peer.Text,
            PeerName = mesh.Roster.Get(e.Peer)?.Card.Name ?? string.Empty,
            Tlp = e.Tlp,
            Kind = e.Kind,
            SentUnixMs = e.SentUnixMs,
        }));
        return Task.FromResult(reply);
    }

    public override async Task<JoinRequestReply> CreateJoinRequest(CreateJoinRequestRequest request, ServerCallContext context)
    {
        if (request.Charter is null)
        {
            throw Invalid("give the charter of the mesh to join (--charter FILE, from a member).");
        }
        var join = await Membership(() => mesh.CreateJoinRequestAsync(request.Charter, context.CancellationToken)).ConfigureAwait(false);
        return new JoinRequestReply
        {
            Request = join,
            NodeId = node.Identity.Id.Text,
            Fingerprint = node.Identity.Id.Fingerprint,
            Name = node.Profile.Name,
            MeshId = Convert.ToHexStringLower(mesh.MeshId!),
        };
    }

    public override async Task<EndorseReply> Endorse(EndorseRequest request, ServerCallContext context)
    {
        if (request.Request is null)
        {
            throw Invalid("no join request given.");
        }
        var (applicant, card, id) = await Membership(() => mesh.EndorseAsync(request.Request, request.DryRun, context.CancellationToken)).ConfigureAwait(false);
        var standing = mesh.Roster.StandingOf(applicant);
        return new EndorseReply
        {
            Applicant = applicant.Text,
            Name = card.Name,
            Country = card.Country,
            Fingerprint = applicant.Fingerprint,
            Id = id?.ToString() ?? string.Empty,
            Endorsements = (uint)(standing?.Endorsements ?? 0),
            Threshold = mesh.Roster.Charter!.Charter.AdmissionThreshold,
            Member = mesh.Roster.IsMember(applicant),
        };
    }

    public override async Task<RevokeReply> Revoke(RevokeRequest request, ServerCallContext context)
    {
        var subject = string.IsNullOrWhiteSpace(request.NodeId) ? node.Identity.Id
            : Core.Identity.NodeId.TryParse(request.NodeId, out var parsed) ? parsed! : throw Invalid($"'{request.NodeId}' is not a node id (52 base32 characters, as `i4c members --json` shows).");
        var id = await Membership(() => mesh.RevokeAsync(subject, request.Reason, context.CancellationToken)).ConfigureAwait(false);
        var standing = mesh.Roster.StandingOf(subject);
        var revocations = node.Store.OfKind(RecordKind.Revocation)
            .Where(r => r.Payload is { } p && Revocation.Parser.ParseFrom(p).Subject.Span.SequenceEqual(subject.PublicKey))
            .Select(r => r.Author).Distinct().Count();
        return new RevokeReply
        {
            Id = id.ToString(),
            Subject = subject.Text,
            Revocations = (uint)revocations,
            Threshold = mesh.Roster.Charter!.Charter.RevocationThreshold,
            Revoked = standing?.Kind == StandingKind.Revoked,
        };
    }

    public override async Task<RotateKeyReply> RotateKey(RotateKeyRequest request, ServerCallContext context)
    {
        var old = node.Identity.Id;
        var (id, next) = await Membership(() => mesh.RotateAsync(context.CancellationToken)).ConfigureAwait(false);
        // Give the rotation a moment to reach the linked peers, then stop: the node restarts
        // (systemd's Restart=always, or the operator) with the new identity.
        _ = Task.Run(async () =>
        {
            await engine.WaitInSyncAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            lifetime.StopApplication();
        });
        var reply = new RotateKeyReply { OldNodeId = old.Text, NewNodeId = next.Id.Text, NewFingerprint = next.Id.Fingerprint, Id = id.ToString() };
        next.Dispose();
        return reply;
    }

    private static async Task<T> Membership<T>(Func<ValueTask<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (CharterException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (PublishRefusedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    private IMessage? Decode(StoredRecord stored)
    {
        var plaintext = node.ReadPayload(stored);
        if (plaintext is null)
        {
            return null;
        }
        try
        {
            return PayloadCodec.Decode(stored.Header.Kind, plaintext);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private RecordSummary Summarize(StoredRecord stored)
    {
        var summary = new RecordSummary
        {
            Id = stored.Id.ToString(),
            Author = stored.Author.Text,
            Kind = stored.Header.Kind,
            Tlp = stored.Header.Tlp,
            Title = stored.Header.Kind == RecordKind.Assessment ? AssessmentTitle(stored) : PayloadCodec.Title(Decode(stored)),
            CreatedUnixMs = stored.Header.CreatedUnixMs,
            Seq = stored.Header.Seq,
            Purged = stored.IsPurged,
            ExpiresUnixMs = stored.Header.ExpiresUnixMs,
            Channel = Convert.ToHexStringLower(stored.Header.Channel.Span),
            SupersededBy = Interop.SupersessionIndex.For(node.Store).TryGetValue(stored.Id, out var by) ? by.ToString() : string.Empty,
        };
        summary.Audience.AddRange(stored.Header.Audience.Select(a => Core.Identity.NodeId.FromPublicKey(a.Span).Text));
        return summary;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static RpcException LookupFailed(RecordLookupException ex) =>
        new(new Status(ex.Failure == LookupFailure.NotFound ? StatusCode.NotFound : StatusCode.InvalidArgument, ex.Message));
}

/// <summary>What the host learned when it bound its listeners.</summary>
public sealed class NodeRuntimeInfo
{
    public static string Version { get; } = typeof(NodeRuntimeInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public string AdminEndpoint { get; set; } = string.Empty;

    /// <summary>The admin HTTP/1.1 base URL, e.g. http://127.0.0.1:41235.</summary>
    public string HttpEndpoint { get; set; } = string.Empty;
    public string MeshEndpoint { get; set; } = string.Empty;
    public int UdpPort { get; set; }
}
