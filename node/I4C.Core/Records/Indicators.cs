using System.Net;
using System.Text.RegularExpressions;
using I4C.Protocol.V1;

namespace I4C.Core.Records;

/// <summary>
/// Indicator types (MISP's vocabulary) and the checks their values must pass. Types
/// outside the list are refused, so a typo never publishes an indicator no tool can use.
/// </summary>
public static partial class Indicators
{
    private static readonly Dictionary<string, Func<string, bool>> Checks = new(StringComparer.Ordinal)
    {
        ["ip-src"] = IsIp,
        ["ip-dst"] = IsIp,
        ["domain"] = IsDomain,
        ["hostname"] = IsDomain,
        ["url"] = IsUrl,
        ["uri"] = v => v.Length > 0,
        ["link"] = IsUrl,
        ["email"] = IsEmail,
        ["email-src"] = IsEmail,
        ["email-dst"] = IsEmail,
        ["email-subject"] = NotEmpty,
        ["md5"] = v => IsHex(v, 32),
        ["sha1"] = v => IsHex(v, 40),
        ["sha224"] = v => IsHex(v, 56),
        ["sha256"] = v => IsHex(v, 64),
        ["sha384"] = v => IsHex(v, 96),
        ["sha512"] = v => IsHex(v, 128),
        ["ssdeep"] = NotEmpty,
        ["imphash"] = v => IsHex(v, 32),
        ["filename"] = v => NotEmpty(v) && !v.Contains('\0', StringComparison.Ordinal),
        ["filename|md5"] = v => PipePair(v, 32),
        ["filename|sha1"] = v => PipePair(v, 40),
        ["filename|sha256"] = v => PipePair(v, 64),
        ["ip-dst|port"] = IsIpPort,
        ["ip-src|port"] = IsIpPort,
        ["domain|ip"] = v => v.Split('|') is [var d, var ip] && IsDomain(d) && IsIp(ip),
        ["port"] = v => int.TryParse(v, out var p) && p is >= 0 and <= 65535,
        ["AS"] = v => AsRegex().IsMatch(v),
        ["vulnerability"] = v => CveRegex().IsMatch(v),
        ["cpe"] = v => v.StartsWith("cpe:", StringComparison.Ordinal),
        ["user-agent"] = NotEmpty,
        ["mutex"] = NotEmpty,
        ["regkey"] = NotEmpty,
        ["regkey|value"] = NotEmpty,
        ["pattern-in-file"] = NotEmpty,
        ["yara"] = NotEmpty,
        ["snort"] = NotEmpty,
        ["sigma"] = NotEmpty,
        ["mac-address"] = v => MacRegex().IsMatch(v),
        ["btc"] = NotEmpty,
        ["x509-fingerprint-sha1"] = v => IsHex(v.Replace(":", string.Empty, StringComparison.Ordinal), 40),
        ["x509-fingerprint-sha256"] = v => IsHex(v.Replace(":", string.Empty, StringComparison.Ordinal), 64),
        ["ja3-fingerprint-md5"] = v => IsHex(v, 32),
        ["text"] = NotEmpty,
        ["comment"] = NotEmpty,
        ["other"] = NotEmpty,
        ["size-in-bytes"] = v => long.TryParse(v, out var n) && n >= 0,
        ["datetime"] = v => DateTimeOffset.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out _),
        ["counter"] = v => long.TryParse(v, out _),
        ["float"] = v => double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out _),
        ["malware-sample"] = NotEmpty,
        ["attachment"] = NotEmpty,
        ["campaign-name"] = NotEmpty,
        ["threat-actor"] = NotEmpty,
        ["github-username"] = NotEmpty,
        ["phone-number"] = NotEmpty,
        ["whois-registrant-email"] = IsEmail,
    };

    public const int MaxValueLength = 4096;

    /// <summary>Every type this node accepts.</summary>
    public static IReadOnlyCollection<string> KnownTypes => Checks.Keys;

    public static bool IsKnownType(string type) => Checks.ContainsKey(type);

    /// <summary>What is wrong with the indicator, or null when it is fine.</summary>
    public static string? Problem(Indicator indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        if (!Checks.TryGetValue(indicator.Type, out var check))
        {
            return $"unknown indicator type '{indicator.Type}' (known: ip-src, ip-dst, domain, hostname, url, email-src, md5, sha1, sha256, filename, vulnerability, … see docs/records.md)";
        }
        if (indicator.Value.Length > MaxValueLength)
        {
            return $"the {indicator.Type} value is longer than {MaxValueLength} characters";
        }
        return check(indicator.Value) ? null : $"'{indicator.Value}' is not a valid {indicator.Type} value";
    }

    /// <summary>Parses the command line's TYPE:VALUE form.</summary>
    public static Indicator Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new FormatException($"'{text}' is not TYPE:VALUE, e.g. ip-dst:203.0.113.7 or domain:evil.example");
        }
        var indicator = new Indicator { Type = text[..colon].Trim(), Value = text[(colon + 1)..].Trim(), ToIds = true };
        if (Problem(indicator) is { } problem)
        {
            throw new FormatException(problem);
        }
        return indicator;
    }

    private static bool NotEmpty(string v) => !string.IsNullOrWhiteSpace(v);

    // IPv4 only as a canonical dotted quad: IPAddress.TryParse also takes inet_aton forms
    // such as "10.1" or "203.0.113" (a typo for a four-octet address).
    private static bool IsIp(string v) => IPAddress.TryParse(v, out var ip) && ip.AddressFamily switch
    {
        System.Net.Sockets.AddressFamily.InterNetwork => string.Equals(ip.ToString(), v, StringComparison.Ordinal),
        System.Net.Sockets.AddressFamily.InterNetworkV6 => v.Contains(':', StringComparison.Ordinal),
        _ => false,
    };

    private static bool IsIpPort(string v) => v.Split('|') is [var ip, var port] && IsIp(ip) && int.TryParse(port, out var p) && p is >= 0 and <= 65535;

    private static bool IsDomain(string v) => v.Length <= 253 && DomainRegex().IsMatch(v);

    private static bool IsUrl(string v) => Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme.Length > 0 && !string.IsNullOrEmpty(uri.Host);

    private static bool IsEmail(string v) => EmailRegex().IsMatch(v);

    private static bool IsHex(string v, int length) => v.Length == length && v.All(Uri.IsHexDigit);

    private static bool PipePair(string v, int hexLength) => v.Split('|') is [var name, var hash] && NotEmpty(name) && IsHex(hash, hexLength);

    [GeneratedRegex(@"^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]{0,62}$")]
    private static partial Regex DomainRegex();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailRegex();

    [GeneratedRegex(@"^CVE-\d{4}-\d{4,}$")]
    private static partial Regex CveRegex();

    [GeneratedRegex(@"^(AS)?\d{1,10}$")]
    private static partial Regex AsRegex();

    [GeneratedRegex(@"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")]
    private static partial Regex MacRegex();
}
