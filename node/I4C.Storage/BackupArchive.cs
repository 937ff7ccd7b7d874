using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using I4C.Core.Records;
using Microsoft.Data.Sqlite;

namespace I4C.Storage;

/// <summary>A backup archive is damaged, incomplete, or cannot be restored where asked. The message names the file and the part.</summary>
public sealed class BackupException(string message) : Exception(message);

/// <summary>One file in a backup: its name in the data directory, size, SHA-256 and Unix mode.</summary>
public sealed record BackupPart(string Name, long Size, string Sha256, int Mode);

/// <summary>The manifest, the archive's first entry (manifest.json).</summary>
public sealed record BackupManifest(string Format, int Version, long CreatedUnixMs, string NodeId, int SchemaVersion, long Records, IReadOnlyList<BackupPart> Parts);

/// <summary>What a restore did.</summary>
public sealed record RestoreResult(BackupManifest Manifest, StoreVerificationResult Verification);

/// <summary>
/// The backup archive: a POSIX tar whose first entry is manifest.json (format "i4c-backup",
/// version 1, the node id, schema version, record count, and each part's name, size, SHA-256 and
/// mode), followed by the parts: a consistent snapshot of i4c.db made with SQLite's online
/// backup API, and every other file of the data directory except the admin token, the endpoint
/// file and temporary files. The keys are in it: it is as secret as the data directory.
/// </summary>
public static class BackupArchive
{
    public const string Format = "i4c-backup";
    public const int Version = 1;
    public const string ManifestName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Files of the data directory a backup never holds: the live database (a snapshot goes in instead), the admin token, the endpoint file.</summary>
    private static bool Excluded(string name) =>
        name is DataDirectory.TokenFileName or DataDirectory.EndpointFileName
        || name.StartsWith(DataDirectory.DatabaseFileName, StringComparison.Ordinal)
        || name.Contains(".tmp", StringComparison.Ordinal)
        || name.StartsWith(".backup-", StringComparison.Ordinal);

    /// <summary>
    /// Writes a backup of the running node's data directory to <paramref name="archivePath"/>
    /// (created owner-only). The database snapshot is taken through a separate read connection with
    /// the online backup API, so the node keeps writing meanwhile.
    /// </summary>
    public static BackupManifest Create(DataDirectory data, string archivePath, string nodeId, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(time);
        var snapshot = Path.Combine(data.Root, $".backup-{Guid.NewGuid():N}.db");
        try
        {
            using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = data.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Pooling = false }.ToString()))
            {
                source.Open();
                destination.Open();
                source.BackupDatabase(destination);
                using var journal = destination.CreateCommand();
                // One self-contained file: no WAL beside it.
                journal.CommandText = "PRAGMA journal_mode = DELETE;";
                journal.ExecuteNonQuery();
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(snapshot, SecureFile.OwnerOnly);
            }
            var (schema, records) = Describe(snapshot);
            var parts = new List<(BackupPart Part, string Path)> { (PartOf(DataDirectory.DatabaseFileName, snapshot), snapshot) };
            foreach (var file in Directory.GetFiles(data.Root).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (!Excluded(name))
                {
                    parts.Add((PartOf(name, file), file));
                }
            }
            var manifest = new BackupManifest(Format, Version, time.GetUtcNow().ToUnixTimeMilliseconds(), nodeId, schema, records, parts.Select(p => p.Part).ToList());
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = SecureFile.OwnerOnly;
            }
            using (var stream = new FileStream(archivePath, options))
            {
                using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ManifestName) { DataStream = new MemoryStream(manifestBytes), Mode = SecureFile.OwnerOnly });
                    foreach (var (part, path) in parts)
                    {
                        using var content = File.OpenRead(path);
                        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, part.Name) { DataStream = content, Mode = (UnixFileMode)part.Mode });
                    }
                }
                stream.Flush(flushToDisk: true);
            }
            return manifest;
        }
        finally
        {
            File.Delete(snapshot);
            File.Delete(snapshot + "-journal");
        }
    }

    /// <summary>
    /// Checks an archive end to end (manifest, every part's size and SHA-256, nothing extra, nothing
    /// missing) without writing anything. Throws <see cref="BackupException"/> naming the problem.
    /// </summary>
    public static BackupManifest Verify(string archivePath) => Read(archivePath, extractTo: null);

    /// <summary>
    /// Restores an archive into <paramref name="targetDirectory"/>, which must be empty or not
    /// exist. The archive is unpacked into a staging directory beside it, checked against its
    /// manifest, and every record in the database is re-verified (signature, payload hash, chain);
    /// only then do the files move into place (directory 0700; keys and database 0600). On any
    /// failure nothing is left in the target.
    /// </summary>
    public static RestoreResult Restore(string archivePath, string targetDirectory, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        ArgumentNullException.ThrowIfNull(time);
        var target = Path.GetFullPath(targetDirectory);
        if (File.Exists(target))
        {
            throw new BackupException($"{target} is a file; restore into an empty or new directory.");
        }
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new BackupException($"{target} is not empty; restore only into an empty or new directory (a restore never overwrites a node).");
        }
        var parent = Path.GetDirectoryName(target) ?? throw new BackupException($"{target}: cannot restore into a file system root.");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.restore-{Guid.NewGuid():N}");
        CreatePrivateDirectory(staging);
        try
        {
            var manifest = Read(archivePath, staging);
            StoreVerificationResult verification;
            var validator = new RecordValidator(RecordLimits.Default with { MaxPayloadBytes = 64 * 1024 * 1024 }, time);
            using (var store = RecordStore.Open(Path.Combine(staging, DataDirectory.DatabaseFileName), time))
            {
                verification = StoreVerification.Run(store, validator);
                if (verification.Checked != manifest.Records)
                {
                    throw new BackupException($"{archivePath}: the database holds {verification.Checked} records, the manifest says {manifest.Records}.");
                }
            }
            SqliteConnection.ClearAllPools();
            if (verification.Failures.Count > 0)
            {
                var (id, problem) = verification.Failures[0];
                throw new BackupException($"{archivePath}: {verification.Failures.Count} of {verification.Checked} records fail verification (first: {id}: {problem}); nothing restored.");
            }
            foreach (var leftover in Directory.GetFiles(staging, DataDirectory.DatabaseFileName + "-*"))
            {
                File.Delete(leftover);
            }
            if (Directory.Exists(target))
            {
                foreach (var file in Directory.GetFiles(staging))
                {
                    File.Move(file, Path.Combine(target, Path.GetFileName(file)));
                }
                Directory.Delete(staging);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
            else
            {
                Directory.Move(staging, target);
            }
            return new RestoreResult(manifest, verification);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            throw;
        }
    }

    private static BackupManifest Read(string archivePath, string? extractTo)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(archivePath);
        if (!File.Exists(archivePath))
        {
            throw new BackupException($"{archivePath}: no such file.");
        }
        try
        {
            using var stream = File.OpenRead(archivePath);
            using var tar = new TarReader(stream);
            var first = tar.GetNextEntry() ?? throw new BackupException($"{archivePath}: empty, not an i4c backup.");
            if (first.Name != ManifestName || first.DataStream is null)
            {
                throw new BackupException($"{archivePath}: the first entry is '{first.Name}', not {ManifestName}; not an i4c backup.");
            }
            BackupManifest manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<BackupManifest>(first.DataStream, Json) ?? throw new JsonException("null");
            }
            catch (JsonException ex)
            {
                throw new BackupException($"{archivePath}: {ManifestName} does not parse ({ex.Message}).");
            }
            if (manifest.Format != Format || manifest.Version != Version || manifest.Parts is null)
            {
                throw new BackupException($"{archivePath}: {ManifestName} is format '{manifest.Format}' version {manifest.Version}; this i4c reads {Format} version {Version}.");
            }
            var expected = new Dictionary<string, BackupPart>(StringComparer.Ordinal);
            foreach (var part in manifest.Parts)
            {
                if (part.Name.Length == 0 || part.Name != Path.GetFileName(part.Name) || part.Name is "." or ".." || !expected.TryAdd(part.Name, part))
                {
                    throw new BackupException($"{archivePath}: {ManifestName} lists an invalid or repeated part name '{part.Name}'.");
                }
            }
            if (!expected.ContainsKey(DataDirectory.DatabaseFileName) || !expected.ContainsKey(DataDirectory.KeyFileName))
            {
                throw new BackupException($"{archivePath}: {ManifestName} lacks {DataDirectory.DatabaseFileName} or {DataDirectory.KeyFileName}; not a complete backup.");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (tar.GetNextEntry() is { } entry)
            {
                if (!expected.TryGetValue(entry.Name, out var part) || !seen.Add(entry.Name))
                {
                    throw new BackupException($"{archivePath}: entry '{entry.Name}' is not in {ManifestName} (or repeated).");
                }
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    throw new BackupException($"{archivePath}: entry '{entry.Name}' is not a regular file.");
                }
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                FileStream? output = null;
                if (extractTo is not null)
                {
                    var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                    if (!OperatingSystem.IsWindows())
                    {
                        options.UnixCreateMode = RestoredMode(part);
                    }
                    output = new FileStream(Path.Combine(extractTo, part.Name), options);
                }
                long size = 0;
                using (output)
                {
                    var buffer = new byte[81920];
                    int n;
                    while ((n = entry.DataStream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        hash.AppendData(buffer, 0, n);
                        output?.Write(buffer, 0, n);
                        size += n;
                    }
                    output?.Flush(flushToDisk: true);
                }
                var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (size != part.Size || !string.Equals(sha, part.Sha256, StringComparison.Ordinal))
                {
                    throw new BackupException($"{archivePath}: part '{part.Name}' is damaged ({size} bytes, SHA-256 {sha[..16]}…; the manifest says {part.Size} bytes, {part.Sha256[..Math.Min(16, part.Sha256.Length)]}…).");
                }
            }
            var missing = expected.Keys.Where(k => !seen.Contains(k)).ToList();
            if (missing.Count > 0)
            {
                throw new BackupException($"{archivePath}: truncated or incomplete: missing {string.Join(", ", missing)}.");
            }
            return manifest;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or IOException and not FileNotFoundException)
        {
            throw new BackupException($"{archivePath}: not a readable i4c backup (truncated or damaged tar: {ex.Message}).");
        }
    }

    /// <summary>identity.json and node.json keep read access for others as when created; every other part (keys, certificate, database) is 0600.</summary>
    private static UnixFileMode RestoredMode(BackupPart part) =>
        part.Name is DataDirectory.ProfileFileName or DataDirectory.ConfigFileName
            ? (UnixFileMode)part.Mode & (SecureFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead) | SecureFile.OwnerOnly
            : SecureFile.OwnerOnly;

    private static BackupPart PartOf(string name, string path)
    {
        using var stream = File.OpenRead(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        var mode = OperatingSystem.IsWindows() ? (int)SecureFile.OwnerOnly : (int)File.GetUnixFileMode(path);
        return new BackupPart(name, stream.Length, sha, mode);
    }

    private static (int Schema, long Records) Describe(string database)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var schema = Migrations.CurrentVersion(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM records";
        return (schema, Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
