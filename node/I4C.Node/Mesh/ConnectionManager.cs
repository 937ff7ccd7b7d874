using Grpc.Core;
using I4C.Core.Identity;
using I4C.Node.Hosting;
using I4C.Protocol.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;

/// <summary>A place to dial: a member's advertised endpoint, or a configured seed of not yet known identity.</summary>
public sealed class DialCandidate(string endpoint)
{
    public string Endpoint { get; } = endpoint;
    public NodeId? Member { get; set; }
    public bool IsSeed { get; set; }
    public int Failures { get; set; }
    public DateTimeOffset NextTry { get; set; }
    public DateTimeOffset LastTried { get; set; }
    public bool Dialing { get; set; }
    public string? LastError { get; set; }
}

/// <summary>
/// Keeps the node linked to <see cref="MeshOptions.TargetPeers"/> members: dials member
/// endpoints learned from cards (peer exchange) and configured seeds, prefers places not
/// yet linked or tried, and retries failures with exponential backoff and jitter. Also
/// drives the periodic anti-entropy tick.
/// </summary>
public sealed class ConnectionManager : BackgroundService
{
    private readonly LocalNode _node;
    private readonly MeshState _mesh;
    private readonly SyncEngine _engine;
    private readonly PeerScores _scores;
    private readonly PeerDialer _dialer;
    private readonly NodeOptions _options;
    private readonly MeshOptions _meshOptions;
    private readonly ILogger<ConnectionManager> _logger;
    private readonly Dictionary<string, DialCandidate> _candidates = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly Random _random = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConnectionManager(LocalNode node, MeshState mesh, SyncEngine engine, PeerScores scores, PeerDialer dialer, NodeOptions options, MeshOptions meshOptions, ILogger<ConnectionManager> logger)
    {
        _node = node;
        _mesh = mesh;
        _engine = engine;
        _scores = scores;
        _dialer = dialer;
        _options = options;
        _meshOptions = meshOptions;
        _logger = logger;
        foreach (var seed in options.Seeds)
        {
            _candidates[seed] = new DialCandidate(seed) { IsSeed = true };
        }
        _mesh.RosterChanged += roster =>
        {
            foreach (var link in _engine.Links)
            {
                if (!roster.IsMember(link.Peer))
                {
                    link.Close("no longer a member");
                }
            }
            Wake(); // a charter adopted or a member admitted: dial now, not at the next pass
        };
    }

    /// <summary>Runs the next pass now instead of at the end of the current interval.</summary>
    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Raised on every pass (every <see cref="MeshOptions.ConnectionPassInterval"/>, and at once after a wake) for periodic upkeep.</summary>
    public event Action? Ticked;

    /// <summary>Candidates and their state, for `i4c peers`.</summary>
    public IReadOnlyList<DialCandidate> Candidates
    {
        get
        {
            lock (_gate)
            {
                return _candidates.Values.ToList();
            }
        }
    }

    /// <summary>Adds a place to dial found by discovery (mDNS) or configuration.</summary>
    public void AddCandidate(string endpoint, NodeId? member)
    {
        lock (_gate)
        {
            if (!_candidates.TryGetValue(endpoint, out var candidate))
            {
                _candidates[endpoint] = candidate = new DialCandidate(endpoint);
            }
            candidate.Member ??= member;
        }
        Wake();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var time = _node.Time;
        var nextTick = time.GetUtcNow() + _meshOptions.AntiEntropyInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Taken before the pass, so that a wake during it runs the next pass at once.
                var wake = Volatile.Read(ref _wake);
                if (_mesh.HasMesh)
                {
                    Ticked?.Invoke();
                    Refresh();
                    Fill(stoppingToken);
                    if (time.GetUtcNow() >= nextTick)
                    {
                        _engine.Tick();
                        nextTick = time.GetUtcNow() + _meshOptions.AntiEntropyInterval;
                    }
                }
                await Task.WhenAny(Task.Delay(_meshOptions.ConnectionPassInterval, time, stoppingToken), wake.Task).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
                if (wake.Task.IsCompleted)
                {
                    Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Refresh()
    {
        var self = _node.Identity.Id;
        lock (_gate)
        {
            foreach (var member in _mesh.Roster.Members)
            {
                if (member.Id.Equals(self))
                {
                    continue;
                }
                foreach (var endpoint in member.Card.MeshEndpoints)
                {
                    if (!_candidates.TryGetValue(endpoint, out var candidate))
                    {
                        _candidates[endpoint] = candidate = new DialCandidate(endpoint);
                    }
                    candidate.Member = member.Id;
                }
            }
        }
    }

    /// <summary>
    /// Members this node links with directly whatever the peer target, because they share a
    /// restricted chain with it: RED travels only between its author and each recipient, and
    /// a record for a named group travels only among that group, so in a large mesh the
    /// group's members might otherwise never be linked.
    /// </summary>
    private HashSet<NodeId> AudiencePartners()
    {
        var self = _node.Identity.Id;
        var partners = new HashSet<NodeId>();
        foreach (var head in _node.Store.Heads())
        {
            if (head.Audience.Count == 0)
            {
                continue;
            }
            var author = NodeId.FromPublicKey(head.Author);
            var selfIsAuthor = author.Equals(self);
            var selfInAudience = head.Audience.Any(a => a.AsSpan().SequenceEqual(self.PublicKey));
            if (!selfIsAuthor && !selfInAudience)
            {
                continue;
            }
            if (head.Red)
            {
                // Only author <-> recipient.
                if (selfIsAuthor)
                {
                    partners.UnionWith(head.Audience.Select(a => NodeId.FromPublicKey(a)));
                }
                else
                {
                    partners.Add(author);
                }
                continue;
            }
            partners.Add(author);
            partners.UnionWith(head.Audience.Select(a => NodeId.FromPublicKey(a)));
        }
        partners.Remove(self);
        return partners;
    }

    private void Fill(CancellationToken stoppingToken)
    {
        var now = _node.Time.GetUtcNow();
        var self = _node.Identity.Id;
        List<DialCandidate> chosen = [];
        var redPartners = AudiencePartners();
        lock (_gate)
        {
            var linkedNow = _engine.Links.Select(l => l.Peer).ToHashSet();
            // A candidate stays Dialing for the whole life of the outbound link it opened, and that
            // link is already in Links.Count: count only the dials still in progress.
            var dialing = _candidates.Values.Count(c => c.Dialing && (c.Member is null || !linkedNow.Contains(c.Member)));
            var missingPartners = redPartners.Count(p => !linkedNow.Contains(p) && _mesh.Roster.IsMember(p));
            var room = Math.Max(_meshOptions.TargetPeers - _engine.Links.Count - dialing, missingPartners - dialing);
            room = Math.Min(room, _options.MaxPeers - _engine.Links.Count - dialing);
            if (room <= 0)
            {
                return;
            }
            var linked = _engine.Links.Select(l => l.Peer).ToHashSet();
            var dialingMembers = _candidates.Values.Where(c => c.Dialing && c.Member is not null).Select(c => c.Member!).ToHashSet();
            var eligible = _candidates.Values
                .Where(c => !c.Dialing && c.NextTry <= now)
                .Where(c => c.Member is null ? _engine.Links.Count == 0 || c.IsSeed && c.LastTried == default : !c.Member.Equals(self) && !linked.Contains(c.Member) && !dialingMembers.Contains(c.Member) && !_scores.IsBanned(c.Member) && _mesh.Roster.IsMember(c.Member))
                .OrderByDescending(c => c.Member is not null && redPartners.Contains(c.Member))
                .ThenBy(c => c.LastTried)
                .ThenBy(_ => _random.Next())
                .ToList();
            foreach (var candidate in eligible)
            {
                if (chosen.Count >= room)
                {
                    break;
                }
                if (candidate.Member is not null && chosen.Any(c => candidate.Member.Equals(c.Member)))
                {
                    continue;
                }
                candidate.Dialing = true;
                candidate.LastTried = now;
                chosen.Add(candidate);
            }
        }
        foreach (var candidate in chosen)
        {
            _ = Task.Run(() => DialAsync(candidate, stoppingToken), stoppingToken);
        }
    }

    /// <summary>A response stream whose first frame (the peer's Hello) was already read by the dialer.</summary>
    private sealed class PrimedReader(LinkFrame first, IAsyncStreamReader<LinkFrame> rest) : IAsyncStreamReader<LinkFrame>
    {
        /// <summary>0: before the first MoveNext; 1: on the primed frame; 2: reading the rest.</summary>
        private int _state;

        public LinkFrame Current => _state == 1 ? first : rest.Current;

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_state == 0)
            {
                _state = 1;
                return Task.FromResult(true);
            }
            _state = 2;
            return rest.MoveNext(cancellationToken);
        }
    }

    private async Task DialAsync(DialCandidate candidate, CancellationToken stoppingToken)
    {
        var linkedFor = TimeSpan.Zero;
        try
        {
            var pin = candidate.Member is { } expected ? _mesh.Roster.Get(expected)?.Card.TlsCertSha256.ToByteArray() : null;
            using var dialed = _dialer.Open(candidate.Endpoint, pin, _meshOptions.MaxFrameBytes);
            var client = new Protocol.V1.Mesh.MeshClient(dialed.Channel);
            using var call = client.Link(cancellationToken: stoppingToken);
            LinkFrame first;
            using (var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                // The peer's Hello comes first. Waiting for it before the link counts as up means a
                // refusal (--max-peers: UNAVAILABLE, a ban: PERMISSION_DENIED) fails the dial with the
                // peer's status and message, instead of a link that comes up and dies on its first write.
                helloTimeout.CancelAfter(TimeSpan.FromSeconds(10));
                if (!await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(helloTimeout.Token).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("the peer ended the link before its Hello");
                }
                first = call.ResponseStream.Current;
            }
            var hash = dialed.ServerCertificateHash;
            var member = hash is null ? null : _mesh.Roster.ByCertificate(hash);
            if (member is null || member.Id.Equals(_node.Identity.Id) || (candidate.Member is { } want && !member.Id.Equals(want)))
            {
                throw new InvalidOperationException(member is null ? "the node there is not a member" : "the node there is not the member expected");
            }
            lock (_gate)
            {
                candidate.Member = member.Id;
            }
            var started = _node.Time.GetUtcNow();
            var link = new Link(member.Id, member.Card.Name, outbound: true, new PrimedReader(first, call.ResponseStream), call.RequestStream, started, stoppingToken)
            {
                Endpoint = candidate.Endpoint,
                Dialer = _node.Identity.Id,
            };
            await _engine.RunLinkAsync(link).ConfigureAwait(false);
            linkedFor = _node.Time.GetUtcNow() - started;
            candidate.LastError = link.CloseReason;
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or HttpRequestException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            candidate.LastError = ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message;
        }
        finally
        {
            lock (_gate)
            {
                candidate.Dialing = false;
                candidate.Failures = linkedFor > TimeSpan.FromSeconds(10) ? 0 : candidate.Failures + 1;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(60_000, 500 * Math.Pow(2, Math.Min(candidate.Failures - 1, 10))));
                var jitter = 0.8 + _random.NextDouble() * 0.4;
                var delay = candidate.Failures == 0 ? TimeSpan.FromMilliseconds(200) : backoff * jitter;
                candidate.NextTry = _node.Time.GetUtcNow() + delay;
                if (!stoppingToken.IsCancellationRequested)
                {
                    MeshLog.DialFailed(_logger, candidate.Endpoint, candidate.LastError ?? "link ended", (long)delay.TotalMilliseconds);
                }
            }
        }
    }
}
