using System.IO.Pipelines;
using I4C.Node.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace I4C.Node.Operations;

/// <summary>Registers limits, metrics and the Prometheus scrape endpoint, and counts the mesh listener's bytes.</summary>
public static class MetricsEndpoint
{
    /// <summary>The scrape path on the admin HTTP listener.</summary>
    public const string Path = "/metrics";

    /// <summary>Limits, the I4C.Node meter and OpenTelemetry with the Prometheus exporter.</summary>
    public static IServiceCollection AddNodeOperations(this IServiceCollection services)
    {
        services.AddSingleton<NodeLimits>();
        services.AddSingleton<NodeMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("i4c-node", serviceVersion: Admin.NodeRuntimeInfo.Version))
            .WithMetrics(metrics => metrics
            .AddMeter(NodeMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>
    /// GET /metrics on the admin HTTP listener only (the middleware in front has checked the admin
    /// token); the same path on any other listener is not served.
    /// </summary>
    public static void UseNodeMetricsEndpoint(this IApplicationBuilder app, AdminGuard guard)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(guard);
        // Created now, so its instruments exist before the first scrape.
        _ = app.ApplicationServices.GetRequiredService<NodeMetrics>();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => guard.HttpPort != 0 && context.Connection.LocalPort == guard.HttpPort &&
                string.Equals(context.Request.Path.Value, Path, StringComparison.Ordinal),
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
    }

    /// <summary>Counts the bytes (TLS included) of every connection accepted on a listener into <see cref="NodeLimits.Inbound"/>.</summary>
    public static ListenOptions UseInboundTrafficCounting(this ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => async connection =>
        {
            var counter = listen.ApplicationServices.GetRequiredService<NodeLimits>().Inbound;
            var original = connection.Transport;
            var stream = counter.Wrap(new DuplexStream(original.Input.AsStream(leaveOpen: true), original.Output.AsStream(leaveOpen: true)));
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
            connection.Transport = new CountedPipe(reader, writer);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                await writer.CompleteAsync().ConfigureAwait(false);
                connection.Transport = original;
            }
        });
        return listen;
    }

    private sealed class CountedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>One stream over a connection's two pipe halves.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
