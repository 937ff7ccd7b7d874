using System.Text.Json;
using I4C.Core.Interop.Misp;
using I4C.Core.Policy;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Interop;

/// <summary>
/// The MISP feed over HTTP on the admin HTTP/1.1 listener, for the city's own MISP to pull
/// on a schedule: <c>GET /feeds/misp/manifest.json</c>, <c>/feeds/misp/hashes.csv</c> and
/// <c>/feeds/misp/{uuid}.json</c>. The bearer token is checked by the listener's middleware
/// before these run; the content is what the disclosure policy lets go to the city's own
/// tools under the node's export ceiling (the same builder as <c>i4c export misp</c>).
/// </summary>
public static class MispFeedEndpoints
{
    public const string Prefix = "/feeds/misp";

    /// <summary>Maps the feed routes; only requests on the admin HTTP port reach them (NodeHost's middleware).</summary>
    public static IEndpointRouteBuilder MapMispFeed(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapGet(Prefix + "/{file}", Serve);
        return routes;
    }

    private static async Task Serve(HttpContext context, string file)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MispFeedEndpoints).FullName!);
        var guard = services.GetRequiredService<Admin.AdminGuard>();
        if (context.Connection.LocalPort != guard.HttpPort || guard.HttpPort == 0)
        {
            // Never on the admin gRPC or the mesh listener.
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        string? uuid = null;
        if (file != MispFeed.ManifestName && file != MispFeed.HashesName)
        {
            uuid = file.EndsWith(".json", StringComparison.Ordinal) ? MispUuid.Normalize(file[..^5]) : null;
            if (uuid is null || file[..^5] != uuid)
            {
                await Error(context, logger, file, StatusCodes.Status400BadRequest, "Bad Request",
                    "Ask for manifest.json, hashes.csv or <uuid>.json with a lower-case uuid as the manifest lists it.").ConfigureAwait(false);
                return;
            }
        }
        var interop = new MispInterop(services.GetRequiredService<LocalNode>(), services.GetRequiredService<MeshState>(),
            services.GetRequiredService<DisclosurePolicy>(), logger);
        var feed = interop.BuildFeed(null);
        byte[] content;
        string type;
        if (uuid is null)
        {
            (content, type) = file == MispFeed.ManifestName ? (feed.Manifest, "application/json") : (feed.Hashes, "text/csv; charset=utf-8");
        }
        else if (feed.Events.TryGetValue(uuid, out var json))
        {
            (content, type) = (json, "application/json");
        }
        else
        {
            // Unknown, or not allowed out under the export ceiling: the same answer, so the feed does not reveal which.
            await Error(context, logger, file, StatusCodes.Status404NotFound, "Not Found", $"No event {uuid} in this node's MISP feed.").ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = type;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = content.Length;
        InteropLog.MispFeedServed(logger, file, StatusCodes.Status200OK);
        await context.Response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task Error(HttpContext context, ILogger logger, string file, int status, string title, string description)
    {
        InteropLog.MispFeedServed(logger, file.Length > 80 ? file[..80] : file, status);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["title"] = title,
            ["description"] = description,
            ["http_status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), context.RequestAborted).ConfigureAwait(false);
    }
}
