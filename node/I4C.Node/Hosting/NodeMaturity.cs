using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Maturity;
using I4C.Core.Membership;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Node.Hosting;

/// <summary>Thrown when a benchmark is asked for before this node has published an assessment it can read.</summary>
public sealed class NoAssessmentException(string message) : Exception(message);

/// <summary>A shared practice as the gap list shows it: the core's view plus who wrote it and its label.</summary>
public sealed record SharedPracticeView(SharedPractice Practice, NodeId Author, string AuthorName, Tlp Tlp);

/// <summary>What <see cref="NodeMaturity.Benchmark"/> computed: the viewer's record, the benchmark, and the gaps with their practices.</summary>
public sealed record NodeBenchmark(
    StoredRecord ViewerRecord,
    Assessment Viewer,
    AssessmentScore ViewerScore,
    BenchmarkResult Result,
    IReadOnlyList<DomainGap> Gaps,
    IReadOnlyDictionary<string, SharedPracticeView> Practices)
{
    /// <summary>The strictest TLP label among the records the benchmark was computed from; the report carries it.</summary>
    public Tlp Label { get; init; } = Tlp.Unspecified;
}

/// <summary>
/// The node's side of the NIS2 maturity work (docs/maturity.md): publishing this node's assessment, and collecting what the
/// benchmark and the gap list may use from the records the node holds. The rules themselves (validation, scoring,
/// suppression, cohort refusal, gap ordering) are in <c>I4C.Core.Maturity</c>; this class decides only which records go in:
/// <list type="bullet">
/// <item>The viewer is this node: its newest readable ASSESSMENT record that validates (its retired identities' records included; of two with the same creation time, the one stored last).</item>
/// <item>Peers are the other current members of the roster. A record counts only if <see cref="DisclosurePolicy"/> lets this
///   node's operators see it and this node can read its payload (a named-audience record is opened with this node's key):
///   an AMBER+STRICT assessment addressed to others never reaches this node, and so never counts here.</item>
/// <item>A retracted or expired assessment (payload purged) does not count.</item>
/// <item>A peer's latest assessment that does not decode is passed on as unusable, so the city is left out rather than
///   represented by an older assessment.</item>
/// </list>
/// </summary>
public sealed class NodeMaturity(LocalNode node, MeshState mesh, DisclosurePolicy disclosure)
{
    /// <summary>The kinds whose REPLY_TO or DERIVED_FROM references to a practice count as endorsements.</summary>
    private static readonly RecordKind[] EndorsingKinds =
        [RecordKind.Advisory, RecordKind.Incident, RecordKind.Practice, RecordKind.Rfi, RecordKind.Answer, RecordKind.Sighting];

    /// <summary>k in force: the adopted charter's benchmark_min_contributors, or the default 5 before a mesh.</summary>
    public int MinContributors => mesh.Roster.Charter is { } charter ? CharterRules.BenchmarkMinContributors(charter.Charter) : BenchmarkOptions.Default.MinContributors;

    /// <summary>
    /// Decodes and validates an assessment payload and publishes its canonical form as an ASSESSMENT record. Throws
    /// <see cref="InvalidAssessmentException"/> (naming the first problems) for an assessment with errors, and
    /// <see cref="PublishRefusedException"/> for what publishing refuses.
    /// </summary>
    public async ValueTask<(ValidatedRecord Record, AssessmentScore Score, IReadOnlyList<AssessmentProblem> Warnings)> PublishAsync(
        byte[] payload, Tlp tlp, IReadOnlyList<NodeId> audience, long expiresUnixMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(audience);
        Assessment assessment;
        try
        {
            assessment = AssessmentPayload.Decode(payload);
        }
        catch (AssessmentFormatException ex)
        {
            throw new InvalidAssessmentException(ex.Message, ex);
        }
        var validation = AssessmentValidator.Validate(assessment);
        validation.ThrowIfInvalid();
        var canonical = AssessmentPayload.Encode(assessment);
        var record = await node.PublishAsync(new RecordDraft
        {
            Kind = RecordKind.Assessment,
            Tlp = tlp,
            Payload = canonical,
            Audience = audience,
            ExpiresUnixMs = expiresUnixMs,
        }, cancellationToken).ConfigureAwait(false);
        return (record, MaturityScoring.Score(assessment), validation.Warnings.ToArray());
    }

    /// <summary>
    /// The benchmark of this node's latest assessment against its peers' within <paramref name="cohort"/>, and the gap list.
    /// A refused cohort comes back as <see cref="BenchmarkResult.Refusal"/> (no gaps). Throws <see cref="NoAssessmentException"/>
    /// when this node has no readable assessment of a framework version it ships.
    /// </summary>
    public NodeBenchmark Benchmark(CohortFilter cohort, int practicesPerGap)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        var self = node.Identity.Id;
        var own = new HashSet<NodeId>(node.RetiredIdentities.Select(i => i.Id).Append(self));
        var roster = mesh.Roster;

        (StoredRecord Record, Assessment Assessment)? viewer = null;
        var peers = new List<PeerAssessment>();
        var peerLabels = new Dictionary<string, Tlp>(StringComparer.Ordinal);
        foreach (var stored in node.Store.OfKind(RecordKind.Assessment))
        {
            if (!disclosure.Allows(stored.Header, DisclosureTarget.Operator))
            {
                continue;
            }
            var isOwn = own.Contains(stored.Author);
            if (!isOwn && !roster.IsMember(stored.Author))
            {
                continue;
            }
            var plaintext = node.ReadPayload(stored);
            if (plaintext is null)
            {
                continue; // retracted, expired, or not addressed to this node's key
            }
            Assessment? assessment;
            try
            {
                assessment = AssessmentPayload.Decode(plaintext);
            }
            catch (AssessmentFormatException)
            {
                assessment = null;
            }
            var created = DateTimeOffset.FromUnixTimeMilliseconds(stored.Header.CreatedUnixMs);
            if (isOwn)
            {
                if (assessment is not null && AssessmentValidator.Validate(assessment).IsValid
                    && (viewer is null || stored.Header.CreatedUnixMs >= viewer.Value.Record.Header.CreatedUnixMs))
                {
                    viewer = (stored, assessment);
                }
                continue;
            }
            // An undecodable latest assessment must still remove its city (the core counts it as ignored), so it goes in as null.
            peers.Add(new PeerAssessment(stored.Author.Text, created, stored.Id.ToString(), assessment!));
            peerLabels[stored.Id.ToString()] = stored.Header.Tlp;
        }
        if (viewer is not { } mine)
        {
            throw new NoAssessmentException("this node has not published a NIS2 self-assessment yet; fill one in with 'i4c assess' (or 'i4c assess template' and 'i4c assess --from FILE --tlp amber'), then run the benchmark.");
        }

        var result = MaturityBenchmark.Compute(self.Text, mine.Assessment, peers, cohort, new BenchmarkOptions { MinContributors = MinContributors });
        var score = MaturityScoring.Score(mine.Assessment);
        if (result.Refused)
        {
            return new NodeBenchmark(mine.Record, mine.Assessment, score, result, [], new Dictionary<string, SharedPracticeView>());
        }
        var practices = SharedPractices(own);
        var gaps = GapAnalysis.Compute(mine.Assessment, result, practices.Values.Select(p => p.Practice), practicesPerGap);
        // The figures derive from the peers' assessments (every one considered, older ones too: stricter, never weaker),
        // so the report carries the strictest of their labels, of this node's own, and of the practices it lists.
        var label = mine.Record.Header.Tlp;
        foreach (var peerLabel in peerLabels.Values)
        {
            label = Strictest(label, peerLabel);
        }
        foreach (var gap in gaps)
        {
            foreach (var shared in gap.SharedPractices)
            {
                label = Strictest(label, practices[shared.RecordId].Tlp);
            }
        }
        return new NodeBenchmark(mine.Record, mine.Assessment, score, result, gaps, practices) { Label = label };
    }

    private static Tlp Strictest(Tlp a, Tlp b) => (int)a >= (int)b ? a : b;

    /// <summary>
    /// The PRACTICE records other authors shared that this node's operators may see and this node can read, with their
    /// endorsements: the number of distinct members other than the practice's author whose records (advisories,
    /// incidents, practices, RFIs, answers, sightings; not purged) reference it as REPLY_TO or DERIVED_FROM.
    /// </summary>
    private Dictionary<string, SharedPracticeView> SharedPractices(HashSet<NodeId> own)
    {
        var roster = mesh.Roster;
        var found = new Dictionary<string, (StoredRecord Stored, Practice Payload)>(StringComparer.Ordinal);
        foreach (var stored in node.Store.OfKind(RecordKind.Practice))
        {
            if (own.Contains(stored.Author) || !disclosure.Allows(stored.Header, DisclosureTarget.Operator) || node.ReadPayload(stored) is not { } plaintext)
            {
                continue;
            }
            try
            {
                found[stored.Id.ToString()] = (stored, Practice.Parser.ParseFrom(plaintext));
            }
            catch (InvalidProtocolBufferException)
            {
                // A reader could not parse it: not a practice to recommend.
            }
        }

        var endorsers = found.Keys.ToDictionary(k => k, _ => new HashSet<NodeId>(), StringComparer.Ordinal);
        foreach (var kind in EndorsingKinds)
        {
            foreach (var stored in node.Store.OfKind(kind))
            {
                if (stored.IsPurged)
                {
                    continue;
                }
                foreach (var reference in stored.Header.References)
                {
                    if (reference.Type is not (ReferenceType.ReplyTo or ReferenceType.DerivedFrom) || reference.RecordId.Length != RecordId.Length)
                    {
                        continue;
                    }
                    var target = Convert.ToHexStringLower(reference.RecordId.Span);
                    if (endorsers.TryGetValue(target, out var set) && !stored.Author.Equals(found[target].Stored.Author))
                    {
                        set.Add(stored.Author);
                    }
                }
            }
        }

        return found.ToDictionary(
            f => f.Key,
            f =>
            {
                var (stored, payload) = f.Value;
                var shared = new SharedPractice(
                    f.Key,
                    payload.Title,
                    payload.Domains.ToArray(),
                    DateTimeOffset.FromUnixTimeMilliseconds(stored.Header.CreatedUnixMs),
                    endorsers[f.Key].Count);
                return new SharedPracticeView(shared, stored.Author, roster.Get(stored.Author)?.Card.Name ?? string.Empty, stored.Header.Tlp);
            },
            StringComparer.Ordinal);
    }
}
