using System.Security.Cryptography;
using I4C.Core.Identity;

namespace I4C.Core.Records;

/// <summary>
/// Channels: each author writes one gap-free chain per channel. The mesh channel
/// (audience: all members) is 32 zero bytes; a restricted audience has the channel
/// SHA-256("I4C-CHANNEL-V1" || 0x00 || relay class || the audience keys in ascending
/// order), the relay class being 0x01 for TLP:RED (never relayed) and 0x00 otherwise,
/// so a RED chain never shares seq numbers with records third parties may relay.
/// </summary>
public static class Channels
{
    public const int Length = 32;

    public static byte[] Mesh => new byte[Length];

    private static ReadOnlySpan<byte> Prefix => "I4C-CHANNEL-V1\0"u8;

    public static bool IsMesh(ReadOnlySpan<byte> channel) => channel.Length == Length && !channel.ContainsAnyExcept((byte)0);

    /// <summary>The channel of an audience, given as keys already sorted ascending (empty = mesh).</summary>
    public static byte[] ForAudience(IReadOnlyList<byte[]> sortedAudience) => ForAudience(sortedAudience, red: false);

    /// <summary>The channel of an audience and relay class (RED or not); keys sorted ascending (empty = mesh).</summary>
    public static byte[] ForAudience(IReadOnlyList<byte[]> sortedAudience, bool red)
    {
        ArgumentNullException.ThrowIfNull(sortedAudience);
        if (sortedAudience.Count == 0)
        {
            return Mesh;
        }
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Prefix);
        sha.AppendData(red ? [1] : [0]);
        foreach (var key in sortedAudience)
        {
            sha.AppendData(key);
        }
        return sha.GetHashAndReset();
    }

    /// <summary>Sorts and de-duplicates node ids into the canonical audience order.</summary>
    public static List<byte[]> CanonicalAudience(IEnumerable<NodeId> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var list = nodes.Select(n => n.ToBytes()).ToList();
        list.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        for (var i = list.Count - 1; i > 0; i--)
        {
            if (list[i].AsSpan().SequenceEqual(list[i - 1]))
            {
                list.RemoveAt(i);
            }
        }
        return list;
    }
}
