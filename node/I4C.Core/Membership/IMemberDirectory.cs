using I4C.Core.Crypto;
using I4C.Core.Identity;

namespace I4C.Core.Membership;

/// <summary>What the publishing side needs to know about members: who they are and their encryption keys.</summary>
public interface IMemberDirectory
{
    /// <summary>The mesh id, or null before a charter is adopted.</summary>
    byte[]? MeshId { get; }

    /// <summary>The member as a reader of encrypted records (its X25519 key), or null when it is not a current member.</summary>
    GroupReader? Reader(NodeId node);
}
