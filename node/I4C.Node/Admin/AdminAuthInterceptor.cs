using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using I4C.Node.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Admin;

/// <summary>
/// Guards the Admin service: the call must arrive on the admin (loopback) listener and
/// carry "authorization: Bearer &lt;token&gt;" matching the data directory's admin.token.
/// </summary>
internal sealed class AdminAuthInterceptor(AdminGuard guard, ILogger<AdminAuthInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        guard.Check(context, logger);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        guard.Check(context, logger);
        return continuation(request, responseStream, context);
    }
}

/// <summary>Holds the admin token and the admin listener's port once bound.</summary>
public sealed class AdminGuard(string token)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + token);

    /// <summary>The bound admin port; 0 until the host has started.</summary>
    public int AdminPort { get; set; }

    internal void Check(ServerCallContext context, ILogger logger)
    {
        var http = context.GetHttpContext();
        if (AdminPort == 0 || http.Connection.LocalPort != AdminPort)
        {
            NodeLog.AdminUnauthenticated(logger, context.Method, "not on the admin listener");
            throw new RpcException(new Status(StatusCode.PermissionDenied, "The Admin service is served only on the node's loopback admin endpoint."));
        }
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
        {
            NodeLog.AdminUnauthenticated(logger, context.Method, "no bearer token");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Missing 'authorization: Bearer <token>'; the token is in the data directory's admin.token."));
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expected))
        {
            NodeLog.AdminUnauthenticated(logger, context.Method, "wrong bearer token");
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Wrong admin token; use the one in this node's data directory (admin.token)."));
        }
    }
}
