using I4C.Core.Identity;
using I4C.Core.Records;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;

/// <summary>
/// Scores peers. Invalid records, malformed or oversize frames, protocol violations and
/// floods lower the score; at or below <see cref="BanThreshold"/> the peer is
/// disconnected and banned, for a time that doubles with each ban (1 min up to 1 h).
/// </summary>
public sealed class PeerScores(TimeProvider time, ILogger<PeerScores> logger)
{
    public const int BanThreshold = -100;
    private readonly Dictionary<NodeId, Entry> _entries = [];
    private readonly Lock _gate = new();

    private sealed class Entry
    {
        public int Score;
        public int Bans;
        public DateTimeOffset BannedUntil;
    }

    /// <summary>Raised when a peer falls to the threshold; the connection layer disconnects it.</summary>
    public event Action<NodeId>? Banned;

    public int ScoreOf(NodeId peer)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(peer, out var e) ? e.Score : 0;
        }
    }

    public bool IsBanned(NodeId peer)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(peer, out var e) && e.BannedUntil > time.GetUtcNow();
        }
    }

    /// <summary>The penalty a rejection earns the peer that sent the record.</summary>
    public static int PenaltyFor(RejectReason reason) => reason switch
    {
        RejectReason.BadSignature => 50,
        RejectReason.Oversize => 50,
        RejectReason.NotInAudience => 50,
        RejectReason.RedRelayed => 50,
        RejectReason.Malformed or RejectReason.WrongPayloadHash or RejectReason.UnsupportedVersion or RejectReason.UnknownKind => 25,
        RejectReason.NotMember or RejectReason.WrongMesh or RejectReason.ListenerPublished or RejectReason.InvalidTlpAudience => 25,
        RejectReason.TimestampInFuture or RejectReason.InvalidReference or RejectReason.LabelLowered => 10,
        // Gaps, mismatches and forks are the author's doing or a race, not the relay's.
        _ => 0,
    };

    public void Penalise(NodeId peer, int penalty, string why)
    {
        if (penalty <= 0)
        {
            return;
        }
        var ban = false;
        int score, seconds = 0;
        lock (_gate)
        {
            if (!_entries.TryGetValue(peer, out var e))
            {
                _entries[peer] = e = new Entry();
            }
            e.Score -= penalty;
            score = e.Score;
            if (e.Score <= BanThreshold && e.BannedUntil <= time.GetUtcNow())
            {
                seconds = (int)Math.Min(3600, 60 * Math.Pow(2, e.Bans));
                e.Bans++;
                e.BannedUntil = time.GetUtcNow().AddSeconds(seconds);
                e.Score = BanThreshold / 2;
                ban = true;
            }
        }
        MeshLog.PeerPenalised(logger, peer.Text, penalty, why, score);
        if (ban)
        {
            MeshLog.PeerBanned(logger, peer.Text, seconds, score);
            Banned?.Invoke(peer);
        }
    }
}
