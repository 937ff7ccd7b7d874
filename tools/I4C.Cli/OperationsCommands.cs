using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Grpc.Core;
using I4C.Protocol.V1;
using I4C.Storage;

namespace I4C.Cli;

/// <summary>Operations commands: backup and restore (docs/operations.md), and the health part of `i4c status`.</summary>
public static class OperationsCommands
{
    public static IEnumerable<Command> Build(CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        yield return Backup(ctx);
        yield return Restore(ctx);
    }

    /// <summary>`i4c status`'s exit code for a health verdict: Healthy 0, Degraded 10, Unhealthy 11.</summary>
    public static int ExitCodeOf(HealthReply health)
    {
        ArgumentNullException.ThrowIfNull(health);
        return health.Status switch
        {
            "Healthy" => ExitCodes.Ok,
            "Degraded" => ExitCodes.NodeDegraded,
            _ => ExitCodes.NodeUnhealthy,
        };
    }

    /// <summary>"Healthy", or the verdict followed by each failing check: "Degraded (mesh: no link to any of the 3 other members)".</summary>
    public static string Describe(HealthReply health)
    {
        ArgumentNullException.ThrowIfNull(health);
        var problems = health.Checks.Where(c => c.Status != "Healthy").Select(c => $"{c.Name}: {c.Description}").ToList();
        return problems.Count == 0 ? health.Status : $"{health.Status} ({string.Join("; ", problems)})";
    }

    public static JsonObject ToJson(HealthReply health)
    {
        ArgumentNullException.ThrowIfNull(health);
        var checks = new JsonArray();
        foreach (var c in health.Checks)
        {
            checks.Add(new JsonObject { ["name"] = c.Name, ["status"] = c.Status, ["description"] = c.Description });
        }
        return new JsonObject { ["status"] = health.Status, ["checks"] = checks };
    }

    private static Command Backup(CliContext ctx)
    {
        var output = new Option<FileInfo>("--out") { Description = "Write the backup archive here (owner-only, replaced atomically). It holds the node's private keys.", Required = true };
        var command = new Command("backup", "Back up the running node: a database snapshot (SQLite online backup), keys, certificate, profile and node.json in one verified archive.") { output };
        command.SetAction(async (parse, ct) =>
        {
            var target = Path.GetFullPath(parse.GetValue(output)!.FullName);
            if (Directory.Exists(target))
            {
                throw new CliException(ExitCodes.Usage, $"--out {target} is a directory; give a file name, e.g. {Path.Combine(target, "i4c-backup.tar")}.");
            }
            var directory = Path.GetDirectoryName(target)!;
            if (!Directory.Exists(directory))
            {
                throw new CliException(ExitCodes.Usage, $"--out {target}: the directory {directory} does not exist.");
            }
            using var node = NodeConnection.Open(ctx.DataFor(parse));
            var temp = $"{target}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
            BackupSummary? summary = null;
            BackupManifest manifest;
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = SecureFile.OwnerOnly;
                }
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var file = new FileStream(temp, options))
                {
                    using var call = node.Client.Backup(new BackupRequest(), NodeConnection.Options(ct, TimeSpan.FromHours(2)));
                    await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                    {
                        summary ??= chunk.Summary ?? throw new CliException(ExitCodes.Internal, "the node's backup stream did not start with its summary.");
                        hash.AppendData(chunk.Data.Span);
                        await file.WriteAsync(chunk.Data.Memory, ct).ConfigureAwait(false);
                    }
                    file.Flush(flushToDisk: true);
                    if (summary is null)
                    {
                        throw new CliException(ExitCodes.Internal, "the node sent no backup data.");
                    }
                    if (file.Length != summary.ArchiveBytes || Convert.ToHexStringLower(hash.GetHashAndReset()) != summary.ArchiveSha256)
                    {
                        throw new CliException(ExitCodes.BadBackup, $"the backup received ({file.Length} bytes) differs from what the node sent ({summary.ArchiveBytes} bytes, SHA-256 {summary.ArchiveSha256}); nothing written to {target}.");
                    }
                }
                try
                {
                    manifest = BackupArchive.Verify(temp);
                }
                catch (BackupException ex)
                {
                    throw new CliException(ExitCodes.BadBackup, ex.Message);
                }
                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject
                {
                    ["file"] = target,
                    ["nodeId"] = manifest.NodeId,
                    ["records"] = manifest.Records,
                    ["schemaVersion"] = manifest.SchemaVersion,
                    ["files"] = manifest.Parts.Count,
                    ["bytes"] = summary!.ArchiveBytes,
                    ["sha256"] = summary.ArchiveSha256,
                });
                return ExitCodes.Ok;
            }
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Backup written to {target}: {manifest.Records} records, schema v{manifest.SchemaVersion}, {manifest.Parts.Count} files, {summary!.ArchiveBytes} bytes (SHA-256 {summary.ArchiveSha256})."));
            ctx.Out.WriteLine("It holds this node's private keys: keep it as safe as the data directory.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Restore(CliContext ctx)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A backup archive written by `i4c backup`." };
        var command = new Command("restore", "Restore a backup into an empty data directory (--data), verifying the archive and every record's signature first.") { file };
        command.SetAction((parse, ct) =>
        {
            var archive = parse.GetValue(file)!.FullName;
            var data = ctx.DataFor(parse);
            RestoreResult result;
            try
            {
                result = BackupArchive.Restore(archive, data.Root, TimeProvider.System);
            }
            catch (BackupException ex)
            {
                throw new CliException(ExitCodes.BadBackup, ex.Message);
            }
            var verification = result.Verification;
            if (ctx.Json(parse))
            {
                Output.Json(ctx.Out, new JsonObject
                {
                    ["data"] = data.Root,
                    ["nodeId"] = result.Manifest.NodeId,
                    ["records"] = verification.Checked,
                    ["payloadsChecked"] = verification.PayloadsChecked,
                    ["schemaVersion"] = result.Manifest.SchemaVersion,
                    ["files"] = result.Manifest.Parts.Count,
                });
                return Task.FromResult(ExitCodes.Ok);
            }
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Restored node {result.Manifest.NodeId} into {data.Root}: {result.Manifest.Parts.Count} files, {verification.Checked} records verified ({verification.PayloadsChecked} payloads), schema v{result.Manifest.SchemaVersion}."));
            ctx.Out.WriteLine($"Start it: i4c-node --data {data.Root}   (a new admin token is created on first start)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
