using Grpc.Core;
using I4C.Core.Maturity;
using I4C.Core.Records;
using I4C.Node.Hosting;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Node.Admin;

/// <summary>The NIS2 maturity calls (docs/maturity.md): translation to <see cref="NodeMaturity"/> and back.</summary>
internal sealed partial class AdminService
{
    /// <summary>The most shared practices listed per gap.</summary>
    public const int MaxPracticesPerGap = 50;

    private NodeMaturity Maturity => new(node, mesh, disclosure);

    public override async Task<PublishAssessmentReply> PublishAssessment(PublishAssessmentRequest request, ServerCallContext context)
    {
        if (!TlpLabels.IsDefined(request.Tlp))
        {
            throw Invalid("a TLP label is required: clear, green, amber, amber+strict or red.");
        }
        if (request.Assessment.IsEmpty)
        {
            throw Invalid("no assessment given; fill one in with 'i4c assess' or 'i4c assess --from FILE'.");
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
        try
        {
            var (record, score, warnings) = await Call(() => Maturity.PublishAsync(request.Assessment.ToByteArray(), request.Tlp, audience, request.ExpiresUnixMs, context.CancellationToken)).ConfigureAwait(false);
            var reply = new PublishAssessmentReply { Id = record.Id.ToString(), Seq = record.Seq };
            var framework = MaturityFramework.Current;
            reply.Domains.AddRange(score.Domains.Select(d => ToProto(d, framework.FindDomain(d.Code)!)));
            reply.Warnings.AddRange(warnings.Select(w => w.ToString()));
            return reply;
        }
        catch (InvalidAssessmentException ex)
        {
            throw Invalid(ex.Message);
        }
    }

    public override Task<BenchmarkReply> Benchmark(BenchmarkRequest request, ServerCallContext context)
    {
        if (!CohortFilter.TryParse(request.Cohort, out var cohort, out var error))
        {
            throw Invalid("--cohort: " + error);
        }
        var perGap = request.PracticesPerGap <= 0 ? GapAnalysis.DefaultMaxPerDomain : Math.Min(request.PracticesPerGap, MaxPracticesPerGap);
        NodeBenchmark benchmark;
        try
        {
            benchmark = Maturity.Benchmark(cohort, perGap);
        }
        catch (NoAssessmentException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        var result = benchmark.Result;
        if (result.Refusal is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "cohort refused: " + refusal.Message + "."));
        }
        var reply = new BenchmarkReply
        {
            Framework = result.FrameworkVersion,
            Cohort = result.Cohort.ToString(),
            MinContributors = result.MinContributors,
            PeerCities = result.PeerCities,
            CohortCities = result.CohortCities ?? 0,
            IgnoredCities = result.IgnoredCities,
            AssessmentId = benchmark.ViewerRecord.Id.ToString(),
            AssessmentCreatedUnixMs = benchmark.ViewerRecord.Header.CreatedUnixMs,
            NodeName = node.Profile.Name,
            NodeId = node.Identity.Id.Text,
            ComputedUnixMs = node.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            Label = benchmark.Label,
        };
        foreach (var row in result.Domains)
        {
            var own = benchmark.ViewerScore[row.Code];
            var domain = new BenchmarkDomain
            {
                Code = row.Code,
                Title = row.Title,
                Article = row.Article,
                Suppressed = row.Suppression switch
                {
                    CellSuppression.None => string.Empty,
                    CellSuppression.FewerThanK => "fewer-than-k",
                    _ => "complement-fewer-than-k",
                },
            };
            SetLevels(own, (c, t, cm, tm) =>
            {
                domain.Current = c;
                domain.Target = t;
                domain.CurrentMean = cm;
                domain.TargetMean = tm;
            });
            if (row.Peers is { } peers)
            {
                domain.Contributors = peers.Contributors;
                domain.PeersCurrent = ToProto(peers.Current);
                domain.PeersTarget = ToProto(peers.Target);
                domain.PercentAtTarget = peers.PercentAtTarget;
            }
            reply.Domains.Add(domain);
        }
        foreach (var gap in benchmark.Gaps)
        {
            var item = new BenchmarkGap
            {
                Code = gap.Code,
                Title = gap.Title,
                Current = gap.Current,
                Target = gap.Target,
                BelowTarget = gap.BelowTarget,
                BelowPeerMedian = gap.BelowPeerMedian,
            };
            if (gap.PeerMedian is { } median)
            {
                item.PeerMedian = median;
            }
            item.PracticesBelowTarget.AddRange(gap.PracticesBelowTarget);
            foreach (var shared in gap.SharedPractices)
            {
                var view = benchmark.Practices[shared.RecordId];
                var info = new SharedPracticeInfo
                {
                    Id = shared.RecordId,
                    Title = shared.Title,
                    Author = view.Author.Text,
                    AuthorName = view.AuthorName,
                    CreatedUnixMs = shared.CreatedAt.ToUnixTimeMilliseconds(),
                    Endorsements = shared.Endorsements,
                    Tlp = view.Tlp,
                };
                info.Domains.AddRange(shared.Domains);
                item.Practices.Add(info);
            }
            reply.Gaps.Add(item);
        }
        return Task.FromResult(reply);
    }

    /// <summary>
    /// Checks a practice's domain tags against the framework this node ships and writes them back trimmed, lower-case and
    /// without duplicates; an unknown code is refused, naming it and the known ones.
    /// </summary>
    private static void NormalizePracticeDomains(Practice practice)
    {
        var framework = MaturityFramework.Current;
        var codes = new List<string>();
        foreach (var raw in practice.Domains)
        {
            var code = (raw ?? string.Empty).Trim().ToLowerInvariant();
            if (framework.FindDomain(code) is null)
            {
                throw Invalid($"--domain '{raw}' is not a domain of {framework.Version}; the domains are: {string.Join(", ", framework.Domains.Select(d => d.Code))}.");
            }
            if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }
        practice.Domains.Clear();
        practice.Domains.AddRange(codes);
    }

    private string AssessmentTitle(StoredRecord stored) =>
        node.ReadPayload(stored) is { } plaintext ? PayloadCodec.AssessmentTitle(plaintext) : string.Empty;

    private static AssessmentDomainScore ToProto(DomainScore score, MaturityDomain domain)
    {
        var proto = new AssessmentDomainScore { Code = score.Code, Title = domain.Title, Article = domain.Article };
        SetLevels(score, (c, t, cm, tm) =>
        {
            proto.Current = c;
            proto.Target = t;
            proto.CurrentMean = cm;
            proto.TargetMean = tm;
        });
        return proto;
    }

    private static void SetLevels(DomainScore score, Action<int, int, double, double> set)
    {
        if (score is { Current: { } c, Target: { } t, CurrentMean: { } cm, TargetMean: { } tm })
        {
            set(c, t, cm, tm);
        }
    }

    private static Quartiles ToProto(QuartileSummary q) => new() { LowerQuartile = q.LowerQuartile, Median = q.Median, UpperQuartile = q.UpperQuartile };
}
