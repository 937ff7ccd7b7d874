using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using I4C.Node.Hosting;
using I4C.Node.Operations;
using I4C.Protocol.V1;
using I4C.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using HealthCheckEntry = I4C.Protocol.V1.HealthCheck;

namespace I4C.Node.Admin;

/// <summary>Operations: health (the registered ASP.NET health checks) and online backup (docs/operations.md).</summary>
internal sealed partial class AdminService
{
    /// <summary>Bytes per backup chunk on the wire.</summary>
    private const int BackupChunkBytes = 256 * 1024;

    public override async Task<HealthReply> GetHealth(HealthRequest request, ServerCallContext context)
    {
        var health = context.GetHttpContext().RequestServices.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync(context.CancellationToken).ConfigureAwait(false);
        var reply = new HealthReply { Status = report.Status.ToString() };
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            reply.Checks.Add(new HealthCheckEntry { Name = name, Status = entry.Status.ToString(), Description = entry.Description ?? entry.Exception?.Message ?? string.Empty });
        }
        return reply;
    }

    public override async Task Backup(BackupRequest request, IServerStreamWriter<BackupChunk> responseStream, ServerCallContext context)
    {
        var services = context.GetHttpContext().RequestServices;
        var data = new DataDirectory(services.GetRequiredService<NodeOptions>().DataDirectory);
        var logger = services.GetRequiredService<ILogger<AdminService>>();
        var archive = Path.Combine(data.Root, $".backup-{Guid.NewGuid():N}.tar");
        try
        {
            BackupManifest manifest;
            try
            {
                manifest = await Task.Run(() => BackupArchive.Create(data, archive, node.Identity.Id.Text, node.Time), context.CancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                OperationsLog.BackupFailed(logger, ex);
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"The node could not write the backup in its data directory: {ex.Message}"));
            }
            await using var stream = File.OpenRead(archive);
            var summary = new BackupSummary
            {
                NodeId = manifest.NodeId,
                Records = (ulong)manifest.Records,
                SchemaVersion = manifest.SchemaVersion,
                Files = manifest.Parts.Count,
                ArchiveBytes = stream.Length,
                ArchiveSha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, context.CancellationToken).ConfigureAwait(false)),
            };
            stream.Position = 0;
            var buffer = new byte[BackupChunkBytes];
            var first = true;
            int n;
            while ((n = await stream.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0 || first)
            {
                var chunk = new BackupChunk { Data = ByteString.CopyFrom(buffer, 0, n) };
                if (first)
                {
                    chunk.Summary = summary;
                    first = false;
                }
                await responseStream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
            }
            OperationsLog.BackupWritten(logger, manifest.Parts.Count, summary.ArchiveBytes, manifest.Records, manifest.SchemaVersion);
        }
        finally
        {
            File.Delete(archive);
        }
    }
}
