using System.Net;
using System.Security.Authentication;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Node.Admin;
using I4C.Node.Mesh;
using I4C.Node.Operations;
using I4C.Node.Udp;
using I4C.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Hosting;

/// <summary>
/// A running node: the ASP.NET Core host with the Admin listener (loopback, h2c, bearer
/// token) and the Mesh listener (TLS with the node's certificate), the UDP control
/// plane, and the store. Start with <see cref="StartAsync"/>; dispose to stop cleanly.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DataDirectory _data;
    private bool _disposed;

    private NodeHost(WebApplication app, DataDirectory data, LocalNode node, NodeRuntimeInfo runtime)
    {
        _app = app;
        _data = data;
        Node = node;
        Runtime = runtime;
    }

    public LocalNode Node { get; }

    public NodeRuntimeInfo Runtime { get; }

    /// <summary>The admin endpoint's URL, e.g. http://127.0.0.1:41234.</summary>
    public string AdminUrl => Runtime.AdminEndpoint;

    /// <summary>The admin HTTP/1.1 listener's base URL (MISP feed, TAXII, metrics), e.g. http://127.0.0.1:41235.</summary>
    public string HttpUrl => Runtime.HttpEndpoint;

    public DataDirectory Data => _data;

    public IServiceProvider Services => _app.Services;

    /// <summary>Blocks until the host is asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public static async Task<NodeHost> StartAsync(NodeOptions options, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        var data = new DataDirectory(options.DataDirectory);
        data.EnsureExists();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            ApplicationName = "i4c-node",
        });
        // Every setting comes from NodeOptions (node.json, I4C_* variables, flags). No
        // appsettings.json, and no file watcher waking up on each database write.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // Health is reported by GetHealth, gRPC health and `i4c status`; the limits log their own hits.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);
        if (configureLogging is not null)
        {
            configureLogging(builder.Logging);
        }
        else if (options.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o => { o.IncludeScopes = false; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        }

        var created = !data.HasIdentity;
        var store = RecordStore.Open(data.DatabasePath, time);
        FinishInterruptedRotation(data, store, time);
        var identity = LoadOrCreateIdentity(data, options, time);
        var profile = data.LoadProfile();
        var certificate = data.LoadCertificate();
        var token = data.EnsureAdminToken();
        var validator = new RecordValidator(RecordLimits.Default with { MaxPayloadBytes = options.MaxPayloadBytes }, time);
        var runtime = new NodeRuntimeInfo();
        // A frame must hold the largest record the node accepts, with room for its header.
        var meshOptions = options.Mesh with { MaxFrameBytes = Math.Max(options.Mesh.MaxFrameBytes, options.MaxPayloadBytes + 1024 * 1024) };
        var guard = new AdminGuard(token);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton(profile);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(validator);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(guard);
        builder.Services.AddSingleton<LocalNode>();
        builder.Services.AddSingleton(new Core.Policy.DisclosurePolicy(identity.Id, options.ExportMaxTlp));
        builder.Services.AddSingleton(meshOptions);
        builder.Services.AddSingleton<MeshState>();
        builder.Services.AddSingleton<PeerScores>();
        builder.Services.AddSingleton<TrafficCounter>();
        builder.Services.AddSingleton(sp => new PeerDialer(certificate, sp.GetRequiredService<TrafficCounter>(), options.RewriteDialEndpoint));
        builder.Services.AddSingleton<SyncEngine>();
        builder.Services.AddSingleton<ConnectionManager>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectionManager>());
        builder.Services.AddSingleton<ControlPlane>();
        builder.Services.AddHostedService<ExpirySweeper>();
        builder.Services.AddHostedService<Discovery.MdnsDiscovery>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxPayloadBytes + 256 * 1024;
            o.EnableDetailedErrors = false;
        })
            .AddServiceOptions<AdminService>(o => o.Interceptors.Add<AdminAuthInterceptor>())
            .AddServiceOptions<MeshService>(o =>
            {
                o.MaxReceiveMessageSize = meshOptions.MaxFrameBytes;
                o.MaxSendMessageSize = meshOptions.MaxFrameBytes;
            });
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false).AddNodeChecks();
        builder.Services.AddNodeOperations();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Admin, listen => listen.Protocols = HttpProtocols.Http2);
            // HTTP/1.1 in cleartext for what ordinary HTTP clients pull: the MISP feed, TAXII 2.1,
            // Prometheus metrics. Loopback only; same bearer token as the Admin service.
            kestrel.Listen(options.Http, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseInboundTrafficCounting();
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    SslProtocols = SslProtocols.Tls13,
                    // Members are recognised by their pinned certificate hash per call, so
                    // the TLS layer accepts any client certificate (a non-member still gets the charter).
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            });
        });

        var app = builder.Build();
        // The mesh listener serves the Mesh service and nothing else (a non-member learns
        // nothing but the charter); the Admin service is guarded to its own listener.
        app.Use(async (context, next) =>
        {
            if (context.Connection.LocalPort == guard.HttpPort && guard.HttpPort != 0)
            {
                // The admin HTTP listener serves only its own routes, each behind the admin token.
                if (!await guard.CheckHttpAsync(context, app.Logger).ConfigureAwait(false))
                {
                    return;
                }
                await next(context).ConfigureAwait(false);
                return;
            }
            if (context.Connection.LocalPort != guard.AdminPort && guard.AdminPort != 0 &&
                !context.Request.Path.StartsWithSegments("/i4c.v1.Mesh", StringComparison.Ordinal) &&
                !context.Request.Path.StartsWithSegments("/i4c.v1.Admin", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await next(context).ConfigureAwait(false);
        });
        app.UseNodeMetricsEndpoint(guard);
        app.MapGrpcService<AdminService>();
        app.MapGrpcService<MeshService>();
        app.MapGrpcHealthChecksService();
        Interop.MispFeedEndpoints.MapMispFeed(app);
        Interop.TaxiiEndpoints.MapTaxii(app);

        var node = app.Services.GetRequiredService<LocalNode>();
        var host = new NodeHost(app, data, node, runtime);
        var udp = app.Services.GetRequiredService<ControlPlane>();
        var mesh = app.Services.GetRequiredService<MeshState>();
        var connections = app.Services.GetRequiredService<ConnectionManager>();
        connections.Ticked += udp.Maintain;
        node.Directory = mesh;
        node.Limits = app.Services.GetRequiredService<NodeLimits>();
        app.Services.GetRequiredService<SyncEngine>().Limits = node.Limits;
        node.RetiredIdentities = data.LoadRetiredIdentities();
        mesh.Data = data;
        mesh.Load();
        try
        {
            udp.Start(options.UdpPort);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            store.Dispose();
            throw new NodeOptionsException($"Cannot bind a listener ({ex.Message}). Is another node running on the same ports? Use --admin/--http/--listen/--udp with other ports, or 0.");
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        // Kestrel reports bound addresses in the order the listeners were declared: admin, then HTTP.
        var plain = addresses.Where(a => a.StartsWith("http://", StringComparison.Ordinal)).ToList();
        var adminUrl = plain[0];
        var httpUrl = plain[1];
        var meshUrl = addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal));
        runtime.AdminEndpoint = adminUrl;
        runtime.MeshEndpoint = new Uri(meshUrl).Authority;
        runtime.UdpPort = udp.Port;
        guard.AdminPort = new Uri(adminUrl).Port;
        guard.HttpPort = new Uri(httpUrl).Port;
        runtime.HttpEndpoint = httpUrl;
        mesh.CertificateHash = PeerDialer.HashOf(certificate);
        mesh.UdpPort = udp.Port;
        mesh.AdvertisedEndpoints = options.AdvertiseNothing ? [] : options.Advertise.Count > 0 ? options.Advertise : DefaultAdvertised(options.Listen, new Uri(meshUrl).Port);
        if (mesh.HasMesh)
        {
            await mesh.EnsureCardAsync(cancellationToken).ConfigureAwait(false);
        }
        data.WriteEndpoint(new NodeEndpoint(Environment.ProcessId, adminUrl, runtime.MeshEndpoint, udp.Port, node.StartedAt, httpUrl));

        var logger = app.Services.GetRequiredService<ILogger<NodeHost>>();
        if (created)
        {
            NodeLog.IdentityCreated(logger, identity.Id.Text, identity.Id.Fingerprint, data.Root);
        }
        NodeLog.NodeStarted(logger, identity.Id.Text, profile.Name, adminUrl, runtime.MeshEndpoint, udp.Port, store.SchemaVersion);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            NodeLog.NodeStopping(logger, identity.Id.Text);
            data.DeleteEndpoint(Environment.ProcessId);
        });
        return host;
    }

    /// <summary>
    /// A rotation staged its new keys, then crashed: if the rotation record was stored, the
    /// mesh is moving to the new key, so finish the swap; otherwise drop the staged keys.
    /// </summary>
    private static void FinishInterruptedRotation(DataDirectory data, RecordStore store, TimeProvider time)
    {
        using var staged = data.LoadStagedIdentity();
        if (staged is null || !data.HasIdentity)
        {
            return;
        }
        using var current = data.LoadIdentity();
        var published = store.OfKind(Protocol.V1.RecordKind.KeyRotation).Any(r =>
            r.Author.Equals(current.Id) && r.Payload is { } p &&
            Protocol.V1.KeyRotation.Parser.ParseFrom(p).NewKey.Span.SequenceEqual(staged.Id.PublicKey));
        if (published)
        {
            data.CommitRotation(time);
        }
        else
        {
            data.DiscardStagedRotation();
        }
    }

    private static NodeIdentity LoadOrCreateIdentity(DataDirectory data, NodeOptions options, TimeProvider time)
    {
        if (data.HasIdentity)
        {
            return data.LoadIdentity();
        }
        var profile = options.FirstStartProfile ?? new NodeProfile(DefaultName(), "ZZ", MemberCategory.Other, Participation.Active);
        return data.CreateIdentity(profile, time);
    }

    /// <summary>The listen address, or every up non-loopback IPv4 address when listening on all (127.0.0.1 when there is none).</summary>
    private static List<string> DefaultAdvertised(IPEndPoint listen, int port)
    {
        if (!listen.Address.Equals(IPAddress.Any) && !listen.Address.Equals(IPAddress.IPv6Any))
        {
            return [new IPEndPoint(listen.Address, port).ToString()];
        }
        var addresses = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Select(a => $"{a}:{port}")
            .Distinct()
            .ToList();
        return addresses.Count > 0 ? addresses : [$"127.0.0.1:{port}"];
    }

    private static string DefaultName()
    {
        var host = Dns.GetHostName();
        return string.IsNullOrWhiteSpace(host) ? "i4c node" : $"i4c node on {host}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _data.DeleteEndpoint(Environment.ProcessId);
            await _app.DisposeAsync().ConfigureAwait(false);
            // Registered as instances, so the container does not own them: close the
            // database (checkpointing the WAL) and release the keys here.
            Node.Store.Dispose();
            Node.Identity.Dispose();
        }
    }
}
