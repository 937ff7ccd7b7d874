using System.Net.Sockets;

#pragma warning disable IDE0130 // the namespace must be the one Makaretu was compiled against
namespace System.Net;
#pragma warning restore IDE0130

/// <summary>
/// An IP network in CIDR form (e.g. 169.254.0.0/16 or fe80::/10): the subset of IPNetwork2
/// 2.x that Makaretu.Dns.Multicast uses, to decide which addresses are link-local.
/// </summary>
public sealed class IPNetwork
{
    private readonly byte[] _prefix;
    private readonly int _length;

    private IPNetwork(IPAddress network, int length)
    {
        Network = network;
        _prefix = network.GetAddressBytes();
        _length = length;
    }

    /// <summary>The network address.</summary>
    public IPAddress Network { get; }

    /// <summary>The prefix length in bits.</summary>
    public int Cidr => _length;

    /// <summary>Parses "address/prefix-length"; an address without a length is a single host.</summary>
    public static IPNetwork Parse(string network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var slash = network.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? network : network[..slash];
        if (!IPAddress.TryParse(addressText.Trim(), out var address))
        {
            throw new ArgumentException($"'{network}' is not an IP network in CIDR form.", nameof(network));
        }
        var max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        var length = max;
        if (slash >= 0 && (!int.TryParse(network[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length < 0 || length > max))
        {
            throw new ArgumentException($"'{network}' has an invalid prefix length.", nameof(network));
        }
        return new IPNetwork(address, length);
    }

    /// <summary>Whether the address lies in this network (false for another address family).</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var bytes = address.GetAddressBytes();
        if (bytes.Length != _prefix.Length)
        {
            return false;
        }
        var full = _length / 8;
        for (var i = 0; i < full; i++)
        {
            if (bytes[i] != _prefix[i])
            {
                return false;
            }
        }
        var rest = _length % 8;
        if (rest == 0)
        {
            return true;
        }
        var mask = (byte)(0xFF << (8 - rest));
        return (bytes[full] & mask) == (_prefix[full] & mask);
    }

    public override string ToString() => $"{Network}/{_length}";
}
