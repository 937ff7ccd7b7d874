using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
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

    /// <summary>The bound admin HTTP/1.1 port; 0 until the host has started.</summary>
    public int HttpPort { get; set; }

    /// <summary>
    /// Checks a request on the admin HTTP listener for "Authorization: Bearer &lt;token&gt;". On failure writes a
    /// 401 with a JSON error body (the TAXII 2.1 error shape, which plain JSON clients read as well) and returns false.
    /// </summary>
    internal async Task<bool> CheckHttpAsync(Microsoft.AspNetCore.Http.HttpContext context, ILogger logger)
    {
        string? reason = null;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            reason = "no bearer token";
        }
        else if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expected))
        {
            reason = "wrong bearer token";
        }
        if (reason is null)
        {
            return true;
        }
        NodeLog.AdminUnauthenticated(logger, context.Request.Path.Value ?? "/", reason);
        context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"i4c\"";
        var taxii = context.Request.Path.StartsWithSegments("/taxii2", StringComparison.Ordinal);
        context.Response.ContentType = taxii ? "application/taxii+json;version=2.1" : "application/json";
        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["title"] = "Unauthorized",
            ["description"] = reason == "no bearer token"
                ? "Send 'Authorization: Bearer <token>'; the token is in the node's data directory (admin.token)."
                : "Wrong token; use the one in the node's data directory (admin.token).",
            ["http_status"] = "401",
        });
        await context.Response.WriteAsync(body).ConfigureAwait(false);
        return false;
    }

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
