using Grpc.Core;
using I4C.Core.Membership;
using I4C.Protocol.V1;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Mesh;

/// <summary>
/// The Mesh gRPC service. Identifies the caller by its TLS client certificate's hash
/// against the roster; a non-member may read the charter and nothing else.
/// </summary>
internal sealed class MeshService(MeshState mesh, SyncEngine engine, PeerScores scores, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<MeshService> logger) : Protocol.V1.Mesh.MeshBase
{
    public override Task<GetCharterReply> GetCharter(GetCharterRequest request, ServerCallContext context)
    {
        var reply = new GetCharterReply();
        if (mesh.Charter is { } charter)
        {
            reply.Charter = charter;
            reply.MeshId = Convert.ToHexStringLower(mesh.MeshId!);
        }
        return Task.FromResult(reply);
    }

    public override async Task Link(IAsyncStreamReader<LinkFrame> requestStream, IServerStreamWriter<LinkFrame> responseStream, ServerCallContext context)
    {
        var member = Caller(context);
        if (scores.IsBanned(member.Id))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "This node has banned you for misbehaviour; try again later."));
        }
        var http = context.GetHttpContext();
        if (http.RequestServices.GetService(typeof(Operations.NodeLimits)) is Operations.NodeLimits limits && !limits.AdmitInboundLink(engine.Links.Count, engine.IsLinked(member.Id), member.Id))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, limits.Refusal));
        }
        // An inbound link lasts as long as the peer keeps it: end it when this node stops,
        // or the host waits out its whole shutdown timeout (30 s) for the stream to finish.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var link = new Link(member.Id, member.Card.Name, outbound: false, requestStream, responseStream, time.GetUtcNow(), stopping.Token)
        {
            Endpoint = $"{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}",
            Dialer = member.Id,
        };
        await engine.RunLinkAsync(link).ConfigureAwait(false);
    }

    private Member Caller(ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        if (certificate is null)
        {
            MeshLog.NonMemberRefused(logger, context.Method, "none");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Present your node certificate; members are recognised by it."));
        }
        var hash = PeerDialer.HashOf(certificate);
        var member = mesh.Roster.ByCertificate(hash);
        if (member is null)
        {
            MeshLog.NonMemberRefused(logger, context.Method, Convert.ToHexStringLower(hash)[..16]);
            throw new RpcException(new Status(StatusCode.PermissionDenied, "Not a member of this mesh: only GetCharter is open to non-members."));
        }
        return member;
    }
}
