using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using I4C.Core.Interop.Stix;
using I4C.Core.Policy;
using I4C.Core.Records;
using I4C.Node.Admin;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Protocol.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace I4C.Node.Interop;

/// <summary>
/// A read-only TAXII 2.1 server on the admin HTTP listener (behind the admin token, which NodeHost's middleware
/// checks first): discovery <c>/taxii2/</c>, the API root <c>/taxii2/api/</c>, and one collection per TLP level up
/// to the node's export ceiling (<c>tlp-clear</c>, <c>tlp-green</c>, <c>tlp-amber</c>, <c>tlp-amber+strict</c>),
/// each holding what <see cref="StixSource"/> exports under that ceiling. Objects and manifest with
/// <c>added_after</c>, <c>limit</c>/<c>next</c> paging and <c>match[id|type|version|spec_version]</c>.
/// No write method exists (405). See docs/interop.md.
/// </summary>
public static class TaxiiEndpoints
{
    public const string MediaType = "application/taxii+json;version=2.1";
    public const string StixMediaType = "application/stix+json;version=2.1";
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    private const string Root = "/taxii2/api/";

    /// <summary>Maps every path under /taxii2 to the TAXII handler.</summary>
    public static void MapTaxii(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.Services;
        var source = new StixSource(services.GetRequiredService<LocalNode>(), services.GetRequiredService<MeshState>(), services.GetRequiredService<DisclosurePolicy>());
        var handler = new Handler(source, services.GetRequiredService<DisclosurePolicy>(), services.GetRequiredService<AdminGuard>(), services.GetRequiredService<LocalNode>());
        app.Map("/taxii2/{**rest}", handler.HandleAsync);
    }

    /// <summary>A collection: all records up to <paramref name="Ceiling"/>.</summary>
    public sealed record Collection(string Id, string Alias, Tlp Ceiling);

    /// <summary>The collections a node with this export ceiling serves: one per label from CLEAR up to it. Ids are UUIDv5 of "taxii-collection:ALIAS".</summary>
    public static IReadOnlyList<Collection> CollectionsFor(Tlp exportCeiling) =>
        TlpLabels.All.Where(t => t != Tlp.Red && (int)t <= (int)exportCeiling)
            .Select(t => new Collection(StixIds.Uuid5(StixIds.Namespace, "taxii-collection:tlp-" + TlpLabels.Short(t)).ToString(), "tlp-" + TlpLabels.Short(t), t))
            .ToList();

    private sealed class Handler(StixSource source, DisclosurePolicy disclosure, AdminGuard guard, LocalNode node)
    {
        public async Task HandleAsync(HttpContext context)
        {
            // Only the admin HTTP listener (where NodeHost checked the token) serves TAXII.
            if (guard.HttpPort == 0 || context.Connection.LocalPort != guard.HttpPort)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                context.Response.Headers.Allow = "GET, HEAD";
                await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{request.Method}: this TAXII server is read-only; use GET.").ConfigureAwait(false);
                return;
            }
            if (!Acceptable(request.Headers.Accept))
            {
                await ErrorAsync(context, StatusCodes.Status406NotAcceptable, "Not acceptable",
                    $"Accept '{request.Headers.Accept}': this server answers with {MediaType}; send that (or {StixMediaType}) in Accept.").ConfigureAwait(false);
                return;
            }
            var path = (request.Path.Value ?? "/taxii2").Substring("/taxii2".Length);
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                var reply = segments switch
                {
                    [] => Discovery(),
                    ["api"] => ApiRoot(),
                    ["api", "collections"] => Collections(),
                    ["api", "collections", var id] => Describe(Find(id)),
                    ["api", "collections", var id, "objects"] => Objects(context, Find(id), null, manifest: false),
                    ["api", "collections", var id, "manifest"] => Objects(context, Find(id), null, manifest: true),
                    ["api", "collections", var id, "objects", var objectId] => Objects(context, Find(id), objectId, manifest: false),
                    ["api", "collections", var id, "objects", var objectId, "versions"] => Versions(context, Find(id), objectId),
                    _ => throw new TaxiiException(StatusCodes.Status404NotFound, "Not found", $"{request.Path}: no such TAXII resource. Start at /taxii2/."),
                };
                await WriteAsync(context, StatusCodes.Status200OK, reply).ConfigureAwait(false);
            }
            catch (TaxiiException ex)
            {
                await ErrorAsync(context, ex.Status, ex.Title, ex.Message).ConfigureAwait(false);
            }
        }

        private JsonObject Discovery() => new()
        {
            ["title"] = $"I4C Mesh: {node.Profile.Name}",
            ["description"] = "Read-only TAXII 2.1 view of what this I4C Mesh node may give the city's own tools, by TLP level.",
            ["default"] = Root,
            ["api_roots"] = new JsonArray(Root),
        };

        private JsonObject ApiRoot() => new()
        {
            ["title"] = "I4C Mesh records",
            ["description"] = $"Advisories, incidents and practices as STIX 2.1, up to {TlpLabels.Display(disclosure.ExportCeiling)} (this node's export ceiling). TLP:RED never appears.",
            ["versions"] = new JsonArray(MediaType),
            ["max_content_length"] = 0,
        };

        private JsonObject Collections()
        {
            var list = new JsonArray();
            foreach (var collection in CollectionsFor(disclosure.ExportCeiling))
            {
                list.Add(Describe(collection));
            }
            return new JsonObject { ["collections"] = list };
        }

        private static JsonObject Describe(Collection collection) => new()
        {
            ["id"] = collection.Id,
            ["title"] = $"{TlpLabels.Display(collection.Ceiling)} and below",
            ["description"] = $"Every advisory, incident and practice this node may export at {TlpLabels.Display(collection.Ceiling)} or a lower label, with their indicators, authoring cities and TLP 2.0 marking definitions.",
            ["alias"] = collection.Alias,
            ["can_read"] = true,
            ["can_write"] = false,
            ["media_types"] = new JsonArray(StixMediaType),
        };

        private Collection Find(string id) =>
            CollectionsFor(disclosure.ExportCeiling).FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase))
            ?? throw new TaxiiException(StatusCodes.Status404NotFound, "Collection not found", $"no collection '{id}' on this node; list them at {Root}collections/.");

        private JsonObject Objects(HttpContext context, Collection collection, string? objectId, bool manifest)
        {
            var query = context.Request.Query;
            var limit = DefaultLimit;
            if (query.TryGetValue("limit", out var limitText))
            {
                if (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
                {
                    throw new TaxiiException(StatusCodes.Status400BadRequest, "Bad limit", $"limit '{limitText}': give a whole number from 1 (at most {MaxLimit} are returned).");
                }
                limit = Math.Min(limit, MaxLimit);
            }
            var entries = Filter(context, collection, objectId);
            if (objectId is not null && entries.Count == 0)
            {
                throw new TaxiiException(StatusCodes.Status404NotFound, "Object not found", $"no object '{objectId}' in collection {collection.Alias} matching the filters.");
            }
            if (query.TryGetValue("next", out var nextText))
            {
                var (addedMs, afterId) = DecodeNext(nextText.ToString());
                entries = entries.Where(e => e.AddedUnixMs > addedMs || (e.AddedUnixMs == addedMs && string.CompareOrdinal(e.Id, afterId) > 0)).ToList();
            }
            var page = entries.Take(limit).ToList();
            var more = entries.Count > page.Count;
            var envelope = new JsonObject { ["more"] = more };
            if (more)
            {
                envelope["next"] = EncodeNext(page[^1]);
            }
            if (page.Count > 0)
            {
                var objects = new JsonArray();
                foreach (var entry in page)
                {
                    objects.Add(manifest
                        ? new JsonObject
                        {
                            ["id"] = entry.Id,
                            ["date_added"] = StixMapper.Timestamp(entry.AddedUnixMs),
                            ["version"] = entry.Version,
                            ["media_type"] = StixMediaType,
                        }
                        : entry.Object.DeepClone());
                }
                envelope["objects"] = objects;
                context.Response.Headers["X-TAXII-Date-Added-First"] = StixMapper.Timestamp(page[0].AddedUnixMs);
                context.Response.Headers["X-TAXII-Date-Added-Last"] = StixMapper.Timestamp(page[^1].AddedUnixMs);
            }
            return envelope;
        }

        private JsonObject Versions(HttpContext context, Collection collection, string objectId)
        {
            var entries = Filter(context, collection, objectId);
            if (entries.Count == 0)
            {
                throw new TaxiiException(StatusCodes.Status404NotFound, "Object not found", $"no object '{objectId}' in collection {collection.Alias}.");
            }
            context.Response.Headers["X-TAXII-Date-Added-First"] = StixMapper.Timestamp(entries[0].AddedUnixMs);
            context.Response.Headers["X-TAXII-Date-Added-Last"] = StixMapper.Timestamp(entries[^1].AddedUnixMs);
            return new JsonObject { ["more"] = false, ["versions"] = new JsonArray(entries.Select(e => (JsonNode)e.Version).ToArray()) };
        }

        /// <summary>The collection's objects in (date added, id) order, after added_after and the match filters.</summary>
        private List<StixEntry> Filter(HttpContext context, Collection collection, string? objectId)
        {
            var query = context.Request.Query;
            long? after = null;
            if (query.TryGetValue("added_after", out var afterText))
            {
                if (!DateTimeOffset.TryParseExact(afterText.ToString(), ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var when))
                {
                    throw new TaxiiException(StatusCodes.Status400BadRequest, "Bad added_after", $"added_after '{afterText}': give a UTC timestamp such as 2024-05-01T10:00:00.000Z.");
                }
                after = when.ToUnixTimeMilliseconds();
            }
            var ids = List(query, "match[id]");
            var types = List(query, "match[type]");
            var versions = List(query, "match[version]");
            var specVersions = List(query, "match[spec_version]");
            IEnumerable<StixEntry> entries = source.Export(collection.Ceiling).Objects;
            if (objectId is not null)
            {
                entries = entries.Where(e => e.Id == objectId);
            }
            if (after is { } a)
            {
                entries = entries.Where(e => e.AddedUnixMs > a);
            }
            if (ids is not null)
            {
                entries = entries.Where(e => ids.Contains(e.Id));
            }
            if (types is not null)
            {
                entries = entries.Where(e => types.Contains(e.Type));
            }
            if (versions is not null)
            {
                // Every object has exactly one version here, so first, last and all all match it.
                entries = entries.Where(e => versions.Overlaps(["first", "last", "all", e.Version]));
            }
            if (specVersions is not null)
            {
                entries = entries.Where(_ => specVersions.Contains("2.1"));
            }
            return entries.OrderBy(e => e.AddedUnixMs).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        }

        private static HashSet<string>? List(IQueryCollection query, string name) =>
            query.TryGetValue(name, out var values)
                ? values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal)
                : null;

        private static string EncodeNext(StixEntry last) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{last.AddedUnixMs.ToString(CultureInfo.InvariantCulture)}|{last.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        private static (long AddedMs, string Id) DecodeNext(string token)
        {
            try
            {
                var base64 = token.Replace('-', '+').Replace('_', '/');
                base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
                if (text.Split('|') is [var ms, var id] && long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var added) && id.Contains("--", StringComparison.Ordinal))
                {
                    return (added, id);
                }
            }
            catch (FormatException)
            {
                // reported below
            }
            throw new TaxiiException(StatusCodes.Status400BadRequest, "Bad next", $"next '{token}' is not a token this server gave; repeat the request without next to start over.");
        }
    }

    /// <summary>Whether the Accept header allows a TAXII 2.1 answer: absent, */*, application/*, or taxii+json / stix+json with no version or 2.1.</summary>
    internal static bool Acceptable(Microsoft.Extensions.Primitives.StringValues accept)
    {
        if (accept.Count == 0 || accept.All(string.IsNullOrWhiteSpace))
        {
            return true;
        }
        if (!MediaTypeHeaderValue.TryParseList(accept, out var types))
        {
            return false;
        }
        foreach (var type in types)
        {
            if (type.Quality is 0)
            {
                continue;
            }
            var media = type.MediaType.Value ?? string.Empty;
            if (media is "*/*" or "application/*")
            {
                return true;
            }
            if (media.Equals("application/taxii+json", StringComparison.OrdinalIgnoreCase) || media.Equals("application/stix+json", StringComparison.OrdinalIgnoreCase))
            {
                var version = type.Parameters.FirstOrDefault(p => p.Name.Equals("version", StringComparison.OrdinalIgnoreCase))?.Value.Value;
                if (version is null || version == "2.1")
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = MediaType;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(body.ToJsonString(StixMapper.JsonOptions), context.RequestAborted).ConfigureAwait(false);
    }

    private static Task ErrorAsync(HttpContext context, int status, string title, string description) =>
        WriteAsync(context, status, new JsonObject
        {
            ["title"] = title,
            ["description"] = description,
            ["http_status"] = status.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>A TAXII error to answer with its status and error body.</summary>
    private sealed class TaxiiException(int status, string title, string description) : Exception(description)
    {
        public int Status { get; } = status;
        public string Title { get; } = title;
    }
}
