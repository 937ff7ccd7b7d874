using I4C.Node.Admin;
using I4C.Node.Hosting;
using I4C.Node.Mesh;
using I4C.Node.Udp;
using I4C.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace I4C.Node.Operations;

/// <summary>
/// The checks behind gRPC health (grpc.health.v1.Health on the admin listener), the Admin
/// GetHealth call and `i4c status`'s exit code. The rule (docs/operations.md, "Health"): the node
/// is Unhealthy when its database cannot take a write, a listener is not bound, or the database
/// has reached --max-db-size; Degraded when the database is at 90 % of its cap, the disk holding it
/// has less than 256 MiB free, or it is in a mesh with other members but has had no link for a
/// minute after start; Healthy otherwise.
/// </summary>
public static class NodeHealthChecks
{
    /// <summary>Free space on the data directory's file system below which the node is Degraded.</summary>
    public const long LowDiskBytes = 256L * 1024 * 1024;

    /// <summary>How long after start a node in a mesh may be without links before it is Degraded.</summary>
    public static readonly TimeSpan LinkGrace = TimeSpan.FromMinutes(1);

    public static IHealthChecksBuilder AddNodeChecks(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddCheck<StoreCheck>("store")
            .AddCheck<DiskCheck>("disk")
            .AddCheck<ListenersCheck>("listeners")
            .AddCheck<MeshCheck>("mesh");
    }

    /// <summary>The database takes a write lock (BEGIN IMMEDIATE, rolled back at once), so a record could be stored now.</summary>
    internal sealed class StoreCheck(RecordStore store) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.Path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 5 }.ToString());
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; ROLLBACK;";
                command.ExecuteNonQuery();
                return Task.FromResult(HealthCheckResult.Healthy("the database takes writes"));
            }
            catch (SqliteException ex)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"the database does not take writes: {ex.Message}"));
            }
        }
    }

    /// <summary>The database against --max-db-size, and free space on its file system.</summary>
    internal sealed class DiskCheck(NodeLimits limits, RecordStore store) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var size = limits.DatabaseBytes;
            var cap = limits.MaxDatabaseBytes;
            if (cap > 0 && size >= cap)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"the database ({size} bytes) has reached --max-db-size ({cap} bytes): new records are refused"));
            }
            if (cap > 0 && size >= cap / 10 * 9)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"the database ({size} bytes) is above 90% of --max-db-size ({cap} bytes)"));
            }
            var free = FreeBytes(Path.GetDirectoryName(store.Path)!);
            if (free is { } f && f < LowDiskBytes)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"only {f} bytes free on the data directory's file system"));
            }
            return Task.FromResult(HealthCheckResult.Healthy(cap > 0 ? $"database {size} of {cap} bytes" : $"database {size} bytes, no cap"));
        }

        private static long? FreeBytes(string directory)
        {
            try
            {
                return new DriveInfo(directory).AvailableFreeSpace;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    /// <summary>Admin gRPC, admin HTTP, mesh and UDP are all bound.</summary>
    internal sealed class ListenersCheck(AdminGuard guard, NodeRuntimeInfo runtime, ControlPlane udp) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var missing = new List<string>();
            if (guard.AdminPort == 0)
            {
                missing.Add("admin gRPC");
            }
            if (guard.HttpPort == 0)
            {
                missing.Add("admin HTTP");
            }
            if (string.IsNullOrEmpty(runtime.MeshEndpoint))
            {
                missing.Add("mesh");
            }
            if (udp.Port == 0)
            {
                missing.Add("UDP");
            }
            return Task.FromResult(missing.Count == 0
                ? HealthCheckResult.Healthy("every listener is bound")
                : HealthCheckResult.Unhealthy($"not bound: {string.Join(", ", missing)}"));
        }
    }

    /// <summary>A node in a mesh with other members keeps at least one link (after a minute's grace from start).</summary>
    internal sealed class MeshCheck(IServiceProvider services, LocalNode node) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var mesh = services.GetRequiredService<MeshState>();
            var engine = services.GetRequiredService<SyncEngine>();
            if (!mesh.HasMesh)
            {
                return Task.FromResult(HealthCheckResult.Healthy("no mesh adopted yet"));
            }
            var others = mesh.Roster.Members.Count(m => !m.Id.Equals(node.Identity.Id));
            var links = engine.Links.Count;
            if (others > 0 && links == 0 && node.Time.GetUtcNow() - node.StartedAt > LinkGrace)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"no link to any of the {others} other members"));
            }
            return Task.FromResult(HealthCheckResult.Healthy($"{links} links, {others} other members"));
        }
    }
}
