using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace I4C.Node.Mesh;

/// <summary>
/// Opens mutual-TLS gRPC channels to other members' mesh endpoints: presents this node's
/// certificate and checks the server's against the pin from its member card (or, for a
/// seed whose identity is not yet known, records the hash so the caller can look it up
/// in the roster before trusting the link).
/// </summary>
public sealed class PeerDialer(X509Certificate2 certificate, TrafficCounter traffic, Func<string, string>? rewriteEndpoint = null)
{
    /// <summary>A dialed channel and the SHA-256 of the certificate the server presented.</summary>
    public sealed class Dialed(GrpcChannel channel, Func<byte[]?> serverCertificateHash) : IDisposable
    {
        public GrpcChannel Channel { get; } = channel;

        public byte[]? ServerCertificateHash => serverCertificateHash();

        public void Dispose() => Channel.Dispose();
    }

    public static byte[] HashOf(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SHA256.HashData(certificate.GetRawCertData());
    }

    /// <summary>Opens a channel to host:port. With <paramref name="pin"/>, a server presenting another certificate fails the handshake.</summary>
    public Dialed Open(string endpoint, byte[]? pin, int maxReceiveBytes)
    {
        byte[]? seen = null;
        var target = rewriteEndpoint?.Invoke(endpoint) ?? endpoint;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = traffic.ConnectCallback,
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
                TargetHost = "i4c-node",
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    if (cert is null)
                    {
                        return false;
                    }
                    var hash = HashOf(cert);
                    seen = hash;
                    return pin is null || CryptographicOperations.FixedTimeEquals(hash, pin);
                },
            },
        };
        var channel = GrpcChannel.ForAddress("https://" + target, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = maxReceiveBytes,
            MaxSendMessageSize = maxReceiveBytes,
        });
        return new Dialed(channel, () => seen);
    }
}
