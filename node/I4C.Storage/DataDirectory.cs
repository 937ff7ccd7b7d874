using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using I4C.Core.Identity;

namespace I4C.Storage;

/// <summary>
/// A node's data directory: its keys (0600), profile, TLS certificate, admin token,
/// the running node's endpoint file, configuration and the SQLite database.
/// </summary>
public sealed class DataDirectory
{
    public const string KeyFileName = "node.key";
    public const string ProfileFileName = "identity.json";
    public const string CertificateFileName = "tls.pfx";
    public const string TokenFileName = "admin.token";
    public const string EndpointFileName = "admin.endpoint";
    public const string ConfigFileName = "node.json";
    public const string DatabaseFileName = "i4c.db";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public DataDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string KeyPath => Path.Combine(Root, KeyFileName);
    public string ProfilePath => Path.Combine(Root, ProfileFileName);
    public string CertificatePath => Path.Combine(Root, CertificateFileName);
    public string TokenPath => Path.Combine(Root, TokenFileName);
    public string EndpointPath => Path.Combine(Root, EndpointFileName);
    public string ConfigPath => Path.Combine(Root, ConfigFileName);
    public string DatabasePath => Path.Combine(Root, DatabaseFileName);

    /// <summary>The default data directory: $I4C_DATA, else $XDG_DATA_HOME/i4c, else ~/.local/share/i4c.</summary>
    public static string DefaultRoot()
    {
        var env = Environment.GetEnvironmentVariable("I4C_DATA");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env;
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(baseDir, "i4c");
    }

    public bool HasIdentity => File.Exists(KeyPath);

    public void EnsureExists()
    {
        if (!Directory.Exists(Root))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(Root);
            }
            else
            {
                Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    /// <summary>Creates a new identity: keys, profile, TLS certificate and admin token. Refuses if one exists.</summary>
    public NodeIdentity CreateIdentity(NodeProfile profile, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(time);
        if (profile.Problem() is { } problem)
        {
            throw new DataDirectoryException($"Cannot create the identity: {problem}.");
        }
        EnsureExists();
        if (HasIdentity)
        {
            throw new DataDirectoryException($"{Root} already holds a node identity ({KeyFileName}); use another --data directory, or keep this one.");
        }
        var identity = NodeIdentity.Create();
        try
        {
            var certificate = CreateCertificate(identity.Id, time.GetUtcNow());
            SecureFile.WriteAllBytes(CertificatePath, certificate);
            var profileFile = new ProfileFile(identity.Id.Text, profile.Name, profile.Country,
                NodeProfile.Format(profile.Category), NodeProfile.Format(profile.Participation), time.GetUtcNow());
            SecureFile.WriteAllText(ProfilePath, JsonSerializer.Serialize(profileFile, Json), SecureFile.Readable);
            EnsureAdminToken();
            var keys = new KeyFile(1, Convert.ToBase64String(identity.ExportSigningKey()), Convert.ToBase64String(identity.ExportAgreementKey()));
            // The key file goes last: its presence marks a complete identity.
            SecureFile.WriteAllText(KeyPath, JsonSerializer.Serialize(keys, Json));
            return identity;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>A self-signed TLS certificate (PKCS#12 bytes) for a new identity, not yet written.</summary>
    public static byte[] NewCertificate(NodeIdentity next, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(time);
        return CreateCertificate(next.Id, time.GetUtcNow());
    }

    private string StagedKeyPath => KeyPath + ".next";
    private string StagedCertificatePath => CertificatePath + ".next";

    /// <summary>
    /// Step 1 of a key rotation, before the rotation record is published: the new keys and
    /// certificate are written beside the live ones (node.key.next, tls.pfx.next, 0600), so a
    /// crash can never lose the key the mesh is about to move the membership to.
    /// </summary>
    public void StageRotation(NodeIdentity next, byte[] certificate)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(certificate);
        SecureFile.WriteAllBytes(StagedCertificatePath, certificate);
        var keys = new KeyFile(1, Convert.ToBase64String(next.ExportSigningKey()), Convert.ToBase64String(next.ExportAgreementKey()));
        SecureFile.WriteAllText(StagedKeyPath, JsonSerializer.Serialize(keys, Json));
    }

    /// <summary>The staged next identity of an unfinished rotation, if any.</summary>
    public NodeIdentity? LoadStagedIdentity() => File.Exists(StagedKeyPath) ? LoadKeyFile(StagedKeyPath) : null;

    /// <summary>Drops a staged rotation that was never published.</summary>
    public void DiscardStagedRotation()
    {
        File.Delete(StagedKeyPath);
        File.Delete(StagedCertificatePath);
    }

    /// <summary>
    /// Step 2, once the rotation record is stored: the staged keys and certificate replace the
    /// live ones, which are kept (0600) with a ".rotated-TIME" suffix. The node restarts to use them.
    /// </summary>
    public void CommitRotation(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(StagedKeyPath))
        {
            return;
        }
        using var next = LoadKeyFile(StagedKeyPath);
        var now = time.GetUtcNow();
        var suffix = ".rotated-" + now.ToString("yyyyMMddTHHmmssfffZ", System.Globalization.CultureInfo.InvariantCulture);
        File.Copy(KeyPath, KeyPath + suffix, overwrite: true);
        File.Copy(CertificatePath, CertificatePath + suffix, overwrite: true);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyPath + suffix, SecureFile.OwnerOnly);
            File.SetUnixFileMode(CertificatePath + suffix, SecureFile.OwnerOnly);
        }
        var profile = LoadProfile();
        var profileFile = new ProfileFile(next.Id.Text, profile.Name, profile.Country,
            NodeProfile.Format(profile.Category), NodeProfile.Format(profile.Participation), now);
        SecureFile.WriteAllText(ProfilePath, JsonSerializer.Serialize(profileFile, Json), SecureFile.Readable);
        if (File.Exists(StagedCertificatePath))
        {
            File.Move(StagedCertificatePath, CertificatePath, overwrite: true);
        }
        // The key goes last: until it moves, a restart finds the staged key and finishes the job.
        File.Move(StagedKeyPath, KeyPath, overwrite: true);
    }

    /// <summary>Identities this node had before key rotations (node.key.rotated-*), to read records encrypted to them.</summary>
    public IReadOnlyList<NodeIdentity> LoadRetiredIdentities()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }
        return Directory.GetFiles(Root, KeyFileName + ".rotated-*").Order(StringComparer.Ordinal).Select(LoadKeyFile).ToList();
    }

    private NodeIdentity LoadKeyFile(string path)
    {
        SecureFile.RequireOwnerOnly(path);
        KeyFile? keys;
        try
        {
            keys = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new DataDirectoryException($"{path} is damaged ({ex.Message}); restore it from backup.");
        }
        if (keys is null || keys.Version != 1 || keys.Ed25519 is null || keys.X25519 is null)
        {
            throw new DataDirectoryException($"{path} is incomplete or of an unknown version; restore it from backup.");
        }
        try
        {
            return NodeIdentity.Import(Convert.FromBase64String(keys.Ed25519), Convert.FromBase64String(keys.X25519));
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            throw new DataDirectoryException($"{path} holds an invalid key ({ex.Message}); restore it from backup.");
        }
    }

    public NodeIdentity LoadIdentity()
    {
        if (!HasIdentity)
        {
            throw new DataDirectoryException($"{Root} holds no node identity. Run: i4c init --data {Root} --name \"City of …\" --country XX --category eu-city");
        }
        return LoadKeyFile(KeyPath);
    }

    public NodeProfile LoadProfile()
    {
        if (!File.Exists(ProfilePath))
        {
            throw new DataDirectoryException($"{ProfilePath} is missing; the identity in {Root} is incomplete.");
        }
        ProfileFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ProfileFile>(File.ReadAllText(ProfilePath), Json);
        }
        catch (JsonException ex)
        {
            throw new DataDirectoryException($"{ProfilePath} is not valid JSON ({ex.Message}).");
        }
        if (file is null || !NodeProfile.TryParseCategory(file.Category, out var category) ||
            !NodeProfile.TryParseParticipation(file.Participation, out var participation))
        {
            throw new DataDirectoryException($"{ProfilePath} lacks a valid category or participation.");
        }
        return new NodeProfile(file.Name ?? string.Empty, file.Country ?? string.Empty, category, participation);
    }

    public X509Certificate2 LoadCertificate()
    {
        if (!File.Exists(CertificatePath))
        {
            throw new DataDirectoryException($"{CertificatePath} is missing; the identity in {Root} is incomplete.");
        }
        SecureFile.RequireOwnerOnly(CertificatePath);
        return X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>Returns the admin token, creating the 0600 token file when it is missing.</summary>
    public string EnsureAdminToken()
    {
        EnsureExists();
        if (File.Exists(TokenPath))
        {
            return ReadAdminToken();
        }
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        SecureFile.WriteAllText(TokenPath, token + "\n");
        return token;
    }

    public string ReadAdminToken()
    {
        if (!File.Exists(TokenPath))
        {
            throw new DataDirectoryException($"{TokenPath} is missing; start the node once to create it.");
        }
        SecureFile.RequireOwnerOnly(TokenPath);
        return File.ReadAllText(TokenPath).Trim();
    }

    public void WriteEndpoint(NodeEndpoint endpoint) =>
        SecureFile.WriteAllText(EndpointPath, JsonSerializer.Serialize(endpoint, Json), SecureFile.Readable);

    public NodeEndpoint? ReadEndpoint()
    {
        if (!File.Exists(EndpointPath))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<NodeEndpoint>(File.ReadAllText(EndpointPath), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void DeleteEndpoint(int processId)
    {
        var current = ReadEndpoint();
        if (current is not null && current.Pid == processId)
        {
            File.Delete(EndpointPath);
        }
    }

    private static byte[] CreateCertificate(NodeId id, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=i4c-node {id.Text[..16]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        return certificate.Export(X509ContentType.Pkcs12);
    }

    private sealed record KeyFile(int Version, string? Ed25519, string? X25519);

    private sealed record ProfileFile(string NodeId, string? Name, string? Country, string? Category, string? Participation, DateTimeOffset Created);
}

/// <summary>
/// Where a running node can be reached; written to admin.endpoint by the node. <paramref name="Http"/> is the
/// admin HTTP/1.1 base URL (MISP feed, TAXII, metrics), null from nodes that predate it.
/// </summary>
public sealed record NodeEndpoint(int Pid, string Admin, string? Mesh, int Udp, DateTimeOffset Started, string? Http = null);
