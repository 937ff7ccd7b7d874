using System.Globalization;
using System.Net;
using System.Text.Json;
using I4C.Core.Identity;
using I4C.Storage;

namespace I4C.Node.Hosting;

/// <summary>
/// How a node runs. Every option can be set, in rising precedence, by its default,
/// the data directory's node.json, an I4C_* environment variable, or a command-line
/// flag. docs/operations.md lists them all.
/// </summary>
public sealed record NodeOptions
{
    /// <summary>Data directory (keys, database, token). Default: $I4C_DATA, else $XDG_DATA_HOME/i4c, else ~/.local/share/i4c.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Mesh gRPC (mTLS) listen address. Default 0.0.0.0:7411; port 0 picks a free port.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 7411);

    /// <summary>Admin gRPC listen address; must be a loopback address. Default 127.0.0.1:7410.</summary>
    public IPEndPoint Admin { get; init; } = new(IPAddress.Loopback, 7410);

    /// <summary>
    /// Admin HTTP/1.1 listen address (MISP feed, TAXII 2.1, Prometheus metrics), behind the same
    /// bearer token as the Admin service; must be a loopback address. Default 127.0.0.1:7412.
    /// </summary>
    public IPEndPoint Http { get; init; } = new(IPAddress.Loopback, 7412);

    /// <summary>UDP control-plane port. Default 7411; 0 picks a free port.</summary>
    public int UdpPort { get; init; } = 7411;

    /// <summary>Static seed addresses (host:port) of other members' mesh endpoints.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>"text" (default) or "json" log lines on standard output.</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>Largest payload accepted, in bytes. Default 1 MiB.</summary>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Content records (advisories, incidents, practices, RFIs, answers, sightings, assessments) one
    /// author may write per minute; more are refused locally and deferred from the mesh
    /// (docs/operations.md, "Resource limits"). Default 600.
    /// </summary>
    public int MaxRecordsPerAuthorPerMinute { get; init; } = 600;

    /// <summary>Most mesh links (inbound and outbound together); further inbound links are refused. Default 32.</summary>
    public int MaxPeers { get; init; } = 32;

    /// <summary>Cap on the database's size on disk (i4c.db and its WAL), in bytes; at the cap new content records are refused. 0 = no cap. Default 10 GiB.</summary>
    public long MaxDatabaseBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>How often expired payloads are purged. Default 30 s.</summary>
    public TimeSpan ExpirySweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Profile used only when the first start creates the identity.</summary>
    public NodeProfile? FirstStartProfile { get; init; }

    /// <summary>Mesh endpoints (host:port) advertised in this node's member card. Default: the listen address, or every non-loopback IPv4 address when listening on all.</summary>
    public IReadOnlyList<string> Advertise { get; init; } = [];

    /// <summary>The highest TLP label any export may carry (CLEAR, GREEN, AMBER, AMBER+STRICT). Default GREEN. RED never leaves.</summary>
    public Protocol.V1.Tlp ExportMaxTlp { get; init; } = Protocol.V1.Tlp.Green;

    /// <summary>Advertise and discover members on the LAN with mDNS/DNS-SD (_i4c._tcp). Default on.</summary>
    public bool Mdns { get; init; } = true;

    /// <summary>Publish no endpoint in the card (`--advertise none`): members find this node only through mDNS on the LAN, or it dials out.</summary>
    public bool AdvertiseNothing { get; init; }

    /// <summary>Replication tunables.</summary>
    public Mesh.MeshOptions Mesh { get; init; } = new();

    /// <summary>Test hook: maps an endpoint this node is about to dial to the one it really connects to (a fault-injecting proxy).</summary>
    public Func<string, string>? RewriteDialEndpoint { get; init; }
}

/// <summary>A wrong option. The message names the option and what is expected.</summary>
public sealed class NodeOptionsException(string message) : Exception(message);

/// <summary>Reads options from defaults, node.json, environment and arguments.</summary>
public static class NodeOptionsLoader
{
    public const string Usage = """
        Usage: i4c-node [options]
          --data DIR            data directory (env I4C_DATA; default $XDG_DATA_HOME/i4c or ~/.local/share/i4c)
          --listen HOST:PORT    mesh gRPC endpoint (env I4C_LISTEN; default 0.0.0.0:7411; port 0 = any free port)
          --admin HOST:PORT     admin gRPC endpoint, loopback only (env I4C_ADMIN; default 127.0.0.1:7410)
          --http HOST:PORT      admin HTTP/1.1 endpoint (MISP feed, TAXII, /metrics), loopback only (env I4C_HTTP; default 127.0.0.1:7412)
          --udp PORT            UDP control-plane port (env I4C_UDP; default 7411)
          --seed HOST:PORT      a seed member's mesh endpoint; repeatable (env I4C_SEEDS, comma-separated)
          --advertise HOST:PORT mesh endpoint to publish in this node's card; repeatable (env I4C_ADVERTISE);
                                `none`: publish no endpoint (peers find it through mDNS, or it dials out)
          --peers N             how many members to keep links with (env I4C_PEERS; default 6)
          --mdns on|off         LAN discovery with mDNS/DNS-SD (env I4C_MDNS; default on)
          --export-max-tlp L    highest TLP exports may carry: clear, green, amber, amber+strict (env I4C_EXPORT_MAX_TLP; default green)
          --log-format text|json  log line format (env I4C_LOG_FORMAT; default text)
          --max-payload BYTES   largest payload accepted (env I4C_MAX_PAYLOAD; default 1048576)
          --max-records-per-minute N  content records one author may write per minute (env I4C_MAX_RECORDS_PER_MINUTE; default 600)
          --max-peers N         most mesh links, inbound and outbound (env I4C_MAX_PEERS; default 32)
          --max-db-size SIZE    cap on the database size, e.g. 500M, 10G; 0 = none (env I4C_MAX_DB_SIZE; default 10G)
          --name NAME --country CC --category eu-city|non-eu-city|other [--listener]
                                profile for the identity created on first start (when `i4c init` was not run)
          --help                this text
        Options may also be set in DATA/node.json, e.g. {"listen": "0.0.0.0:7411", "seeds": ["bonn.example:7411"]}.
        """;

    private static readonly string[] Flags =
        ["--data", "--listen", "--admin", "--http", "--udp", "--seed", "--advertise", "--peers", "--mdns", "--export-max-tlp", "--log-format", "--max-payload", "--max-records-per-minute", "--max-peers", "--max-db-size", "--name", "--country", "--category"];

    public static NodeOptions Load(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        environment ??= Environment.GetEnvironmentVariable;
        var cli = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var listener = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--listener")
            {
                listener = true;
                continue;
            }
            string name, value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
                if (i + 1 >= args.Count)
                {
                    throw new NodeOptionsException(Flags.Contains(name) ? $"{name} needs a value." : $"Unknown option '{arg}'. See i4c-node --help.");
                }
                value = args[++i];
            }
            if (!Flags.Contains(name))
            {
                throw new NodeOptionsException($"Unknown option '{name}'. See i4c-node --help.");
            }
            if (!cli.TryGetValue(name, out var list))
            {
                cli[name] = list = [];
            }
            list.Add(value);
        }

        string? Cli(string flag) => cli.TryGetValue(flag, out var v) ? v[^1] : null;

        var dataDir = Cli("--data") ?? environment("I4C_DATA") ?? DataDirectory.DefaultRoot();
        var file = ReadConfigFile(Path.Combine(dataDir, DataDirectory.ConfigFileName));

        string? Pick(string flag, string env, string key) => Cli(flag) ?? environment(env) ?? file.GetValueOrDefault(key);

        var options = new NodeOptions { DataDirectory = dataDir };
        if (Pick("--listen", "I4C_LISTEN", "listen") is { } listen)
        {
            options = options with { Listen = ParseEndpoint(listen, "--listen") };
        }
        if (Pick("--admin", "I4C_ADMIN", "admin") is { } admin)
        {
            var endpoint = ParseEndpoint(admin, "--admin");
            if (!IPAddress.IsLoopback(endpoint.Address))
            {
                throw new NodeOptionsException($"--admin {admin}: the admin endpoint must be on a loopback address (127.0.0.1 or [::1]); it is for local operators only.");
            }
            options = options with { Admin = endpoint };
        }
        if (Pick("--http", "I4C_HTTP", "http") is { } http)
        {
            var endpoint = ParseEndpoint(http, "--http");
            if (!IPAddress.IsLoopback(endpoint.Address))
            {
                throw new NodeOptionsException($"--http {http}: the admin HTTP endpoint must be on a loopback address (127.0.0.1 or [::1]); publish it to other hosts through a TLS reverse proxy (docs/operations.md).");
            }
            options = options with { Http = endpoint };
        }
        if (Pick("--udp", "I4C_UDP", "udp") is { } udp)
        {
            options = options with { UdpPort = ParsePort(udp, "--udp") };
        }
        var seeds = cli.TryGetValue("--seed", out var s) ? s
            : environment("I4C_SEEDS") is { } envSeeds ? envSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : file.TryGetValue("seeds", out var fileSeeds) ? fileSeeds.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList()
            : [];
        foreach (var seed in seeds)
        {
            ParseHostPort(seed, "--seed");
        }
        options = options with { Seeds = seeds };
        var advertise = cli.TryGetValue("--advertise", out var a) ? a
            : environment("I4C_ADVERTISE") is { } envAdvertise ? envAdvertise.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : file.TryGetValue("advertise", out var fileAdvertise) ? fileAdvertise.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList()
            : [];
        if (advertise is ["none"])
        {
            options = options with { AdvertiseNothing = true };
            advertise = [];
        }
        foreach (var endpoint in advertise)
        {
            ParseHostPort(endpoint, "--advertise");
        }
        options = options with { Advertise = advertise };
        if (Pick("--peers", "I4C_PEERS", "peers") is { } peers)
        {
            if (!int.TryParse(peers, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 64)
            {
                throw new NodeOptionsException($"--peers '{peers}': give a number of peers from 1 to 64.");
            }
            options = options with { Mesh = options.Mesh with { TargetPeers = n } };
        }
        if (Pick("--mdns", "I4C_MDNS", "mdns") is { } mdns)
        {
            options = options with
            {
                Mdns = mdns.ToLowerInvariant() switch
                {
                    "on" or "true" or "yes" or "1" => true,
                    "off" or "false" or "no" or "0" => false,
                    _ => throw new NodeOptionsException($"--mdns '{mdns}': use on or off."),
                },
            };
        }
        if (Pick("--export-max-tlp", "I4C_EXPORT_MAX_TLP", "exportMaxTlp") is { } ceiling)
        {
            if (!Core.Records.TlpLabels.TryParse(ceiling, out var label) || label == Protocol.V1.Tlp.Red)
            {
                throw new NodeOptionsException($"--export-max-tlp '{ceiling}': use clear, green, amber or amber+strict (RED never leaves the node).");
            }
            options = options with { ExportMaxTlp = label };
        }
        if (Pick("--log-format", "I4C_LOG_FORMAT", "logFormat") is { } format)
        {
            if (format is not ("text" or "json"))
            {
                throw new NodeOptionsException($"--log-format '{format}': use text or json.");
            }
            options = options with { LogFormat = format };
        }
        if (Pick("--max-payload", "I4C_MAX_PAYLOAD", "maxPayload") is { } max)
        {
            if (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes < 1024 || bytes > 64 * 1024 * 1024)
            {
                throw new NodeOptionsException($"--max-payload '{max}': give a number of bytes between 1024 and 67108864.");
            }
            options = options with { MaxPayloadBytes = bytes };
        }
        if (Pick("--max-records-per-minute", "I4C_MAX_RECORDS_PER_MINUTE", "maxRecordsPerMinute") is { } rate)
        {
            if (!int.TryParse(rate, NumberStyles.None, CultureInfo.InvariantCulture, out var perMinute) || perMinute is < 1 or > 1_000_000)
            {
                throw new NodeOptionsException($"--max-records-per-minute '{rate}': give a number of records from 1 to 1000000.");
            }
            options = options with { MaxRecordsPerAuthorPerMinute = perMinute };
        }
        if (Pick("--max-peers", "I4C_MAX_PEERS", "maxPeers") is { } maxPeers)
        {
            if (!int.TryParse(maxPeers, NumberStyles.None, CultureInfo.InvariantCulture, out var most) || most is < 1 or > 1024)
            {
                throw new NodeOptionsException($"--max-peers '{maxPeers}': give a number of links from 1 to 1024.");
            }
            options = options with { MaxPeers = most };
        }
        if (options.MaxPeers < options.Mesh.TargetPeers)
        {
            throw new NodeOptionsException($"--max-peers {options.MaxPeers} is below --peers {options.Mesh.TargetPeers}: the node could never keep the links it aims for. Raise --max-peers or lower --peers.");
        }
        if (Pick("--max-db-size", "I4C_MAX_DB_SIZE", "maxDbSize") is { } dbSize)
        {
            options = options with { MaxDatabaseBytes = ParseSize(dbSize, "--max-db-size") };
        }
        if (Cli("--name") is { } profileName)
        {
            var category = MemberCategory.Other;
            if (Cli("--category") is { } c && !NodeProfile.TryParseCategory(c, out category))
            {
                throw new NodeOptionsException($"--category '{c}': use eu-city, non-eu-city or other.");
            }
            options = options with
            {
                FirstStartProfile = new NodeProfile(profileName, (Cli("--country") ?? string.Empty).ToUpperInvariant(), category,
                    listener ? Participation.Listener : Participation.Active),
            };
        }
        return options;
    }

    /// <summary>A size in bytes: a plain number, or one with a binary suffix K, M, G or T (KiB … TiB); 0 means no cap; otherwise at least 1 MiB.</summary>
    public static long ParseSize(string text, string flag)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim().ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        var multiplier = 1L;
        if (trimmed.Length > 0 && "KMGT".Contains(trimmed[^1], StringComparison.Ordinal))
        {
            multiplier = trimmed[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            trimmed = trimmed[..^1];
        }
        if (!long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > long.MaxValue / multiplier)
        {
            throw new NodeOptionsException($"{flag} '{text}': give a size in bytes, or with K, M, G or T (e.g. 500M, 10G); 0 for no cap.");
        }
        var bytes = number * multiplier;
        if (bytes is > 0 and < 1L << 20)
        {
            throw new NodeOptionsException($"{flag} '{text}': a cap below 1M leaves no room for the database; give at least 1M, or 0 for no cap.");
        }
        return bytes;
    }

    public static IPEndPoint ParseEndpoint(string text, string flag)
    {
        var (host, port) = ParseHostPort(text, flag);
        if (host is "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        if (host is "*" or "")
        {
            return new IPEndPoint(IPAddress.Any, port);
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new NodeOptionsException($"{flag} '{text}': listen on an IP address (e.g. 0.0.0.0:7411 or 127.0.0.1:0), not a host name.");
        }
        return new IPEndPoint(address, port);
    }

    public static (string Host, int Port) ParseHostPort(string text, string flag)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            throw new NodeOptionsException($"{flag} '{text}': expected HOST:PORT, e.g. 127.0.0.1:7411.");
        }
        var host = text[..colon].Trim('[', ']');
        return (host, ParsePort(text[(colon + 1)..], flag));
    }

    private static int ParsePort(string text, string flag) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new NodeOptionsException($"{flag}: '{text}' is not a port number (0-65535; 0 picks a free port).");

    private static Dictionary<string, string> ReadConfigFile(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new NodeOptionsException($"{path}: the configuration must be a JSON object.");
            }
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.Array => string.Join('\n', property.Value.EnumerateArray().Select(e => e.GetString())),
                    _ => throw new NodeOptionsException($"{path}: '{property.Name}' must be a string, number or list of strings."),
                };
            }
        }
        catch (JsonException ex)
        {
            throw new NodeOptionsException($"{path} is not valid JSON: {ex.Message}");
        }
        var known = new[] { "listen", "admin", "http", "udp", "seeds", "advertise", "peers", "mdns", "exportMaxTlp", "logFormat", "maxPayload", "maxRecordsPerMinute", "maxPeers", "maxDbSize" };
        foreach (var key in values.Keys)
        {
            if (!known.Contains(key))
            {
                throw new NodeOptionsException($"{path}: unknown setting '{key}' (known: {string.Join(", ", known)}).");
            }
        }
        return values;
    }
}
