using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using I4C.Protocol.V1;

namespace I4C.Core.Interop.Stix;

/// <summary>A detection pattern for one indicator: the pattern text and its language (stix, yara, snort, sigma).</summary>
public sealed record StixPattern(string Pattern, string PatternType);

/// <summary>
/// Turns an indicator (MISP type and value) into a STIX 2.1 pattern. Types without a STIX equivalent,
/// and values that do not parse as their type, give null: the indicator is left out of the export and
/// counted (docs/interop.md lists the types). No I/O.
/// </summary>
public static class StixPatterns
{
    /// <summary>The indicator types that map to a pattern (every other type is left out).</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } =
    [
        "ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain", "hostname", "domain|ip", "url", "link",
        "email", "email-src", "email-dst", "whois-registrant-email", "email-subject",
        "filename", "md5", "sha1", "sha256", "sha512", "ssdeep", "filename|md5", "filename|sha1", "filename|sha256",
        "mac-address", "AS", "port", "mutex", "regkey", "user-agent",
        "x509-fingerprint-sha1", "x509-fingerprint-sha256", "yara", "snort", "sigma",
    ];

    /// <summary>A STIX string literal: the value in single quotes, with backslash and quote escaped.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('\'');
        foreach (var c in value)
        {
            if (c is '\\' or '\'')
            {
                builder.Append('\\');
            }
            builder.Append(c);
        }
        return builder.Append('\'').ToString();
    }

    /// <summary>The pattern for the indicator, or null when its type has no STIX mapping or its value does not parse.</summary>
    public static StixPattern? For(Indicator indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        var value = indicator.Value.Trim();
        if (value.Length == 0)
        {
            return null;
        }
        string? stix = indicator.Type switch
        {
            "ip-src" or "ip-dst" => Address(value),
            "ip-src|port" => AddressAndPort(value, "src"),
            "ip-dst|port" => AddressAndPort(value, "dst"),
            "domain" or "hostname" => Domain(value) is { } d ? $"[domain-name:value = {Quote(d)}]" : null,
            "domain|ip" => DomainAndAddress(value),
            "url" or "link" => IsUrl(value) ? $"[url:value = {Quote(value)}]" : null,
            "email" or "whois-registrant-email" => IsEmail(value) ? $"[email-addr:value = {Quote(value)}]" : null,
            "email-src" => IsEmail(value) ? $"[email-message:from_ref.value = {Quote(value)}]" : null,
            "email-dst" => IsEmail(value) ? $"[email-message:to_refs[*].value = {Quote(value)}]" : null,
            "email-subject" => $"[email-message:subject = {Quote(indicator.Value)}]",
            "filename" => $"[file:name = {Quote(indicator.Value)}]",
            "md5" => Hash(value, 32, "MD5"),
            "sha1" => Hash(value, 40, "'SHA-1'"),
            "sha256" => Hash(value, 64, "'SHA-256'"),
            "sha512" => Hash(value, 128, "'SHA-512'"),
            "ssdeep" => $"[file:hashes.SSDEEP = {Quote(value)}]",
            "filename|md5" => NameAndHash(indicator.Value, 32, "MD5"),
            "filename|sha1" => NameAndHash(indicator.Value, 40, "'SHA-1'"),
            "filename|sha256" => NameAndHash(indicator.Value, 64, "'SHA-256'"),
            "mac-address" => Mac(value),
            "AS" => AsNumber(value),
            "port" => Port(value) is { } port ? $"[network-traffic:dst_port = {port}]" : null,
            "mutex" => $"[mutex:name = {Quote(indicator.Value)}]",
            "regkey" => $"[windows-registry-key:key = {Quote(value)}]",
            "user-agent" => $"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {Quote(indicator.Value)}]",
            "x509-fingerprint-sha1" => Hash(value.Replace(":", string.Empty, StringComparison.Ordinal), 40, "'SHA-1'", "x509-certificate"),
            "x509-fingerprint-sha256" => Hash(value.Replace(":", string.Empty, StringComparison.Ordinal), 64, "'SHA-256'", "x509-certificate"),
            _ => null,
        };
        if (stix is not null)
        {
            return new StixPattern(stix, "stix");
        }
        // Rules in another language travel as they are, with their pattern_type.
        return indicator.Type is "yara" or "snort" or "sigma" ? new StixPattern(indicator.Value, indicator.Type) : null;
    }

    /// <summary>An address or a CIDR block: <c>[ipv4-addr:value = '…']</c>, or ISSUBSET for a block.</summary>
    private static string? Address(string value)
    {
        if (value.Split('/') is [var addressText, var prefixText])
        {
            if (Ip(addressText) is not { } address ||
                !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) ||
                prefix > (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))
            {
                return null;
            }
            // The block in canonical form: host bits cleared ("192.0.2.7/24" is 192.0.2.0/24).
            var bytes = address.GetAddressBytes();
            for (var i = 0; i < bytes.Length; i++)
            {
                var keep = Math.Clamp(prefix - (i * 8), 0, 8);
                bytes[i] &= (byte)(0xFF << (8 - keep));
            }
            var block = $"{new IPAddress(bytes)}/{prefix.ToString(CultureInfo.InvariantCulture)}";
            return $"[{ObjectType(address)}:value ISSUBSET {Quote(block)}]";
        }
        return Ip(value) is { } ip ? $"[{ObjectType(ip)}:value = {Quote(ip.ToString())}]" : null;
    }

    private static string? AddressAndPort(string value, string side)
    {
        if (value.Split('|') is not [var address, var portText] || Ip(address) is not { } ip || Port(portText) is not { } port)
        {
            return null;
        }
        return $"[network-traffic:{side}_ref.type = '{ObjectType(ip)}' AND network-traffic:{side}_ref.value = {Quote(ip.ToString())} AND network-traffic:{side}_port = {port}]";
    }

    private static string? DomainAndAddress(string value)
    {
        if (value.Split('|') is not [var domain, var address] || Domain(domain) is not { } d || Ip(address) is not { } ip)
        {
            return null;
        }
        return $"[domain-name:value = {Quote(d)} AND domain-name:resolves_to_refs[*].value = {Quote(ip.ToString())}]";
    }

    private static string? Hash(string value, int length, string algorithm, string objectType = "file") =>
        value.Length == length && value.All(Uri.IsHexDigit) ? $"[{objectType}:hashes.{algorithm} = {Quote(value.ToLowerInvariant())}]" : null;

    private static string? NameAndHash(string value, int length, string algorithm)
    {
        var bar = value.LastIndexOf('|');
        if (bar <= 0)
        {
            return null;
        }
        var name = value[..bar];
        var hash = value[(bar + 1)..].Trim();
        return hash.Length == length && hash.All(Uri.IsHexDigit) && name.Trim().Length > 0
            ? $"[file:name = {Quote(name)} AND file:hashes.{algorithm} = {Quote(hash.ToLowerInvariant())}]"
            : null;
    }

    private static string? Mac(string value)
    {
        var hex = value.Replace(":", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (hex.Length != 12 || !hex.All(Uri.IsHexDigit))
        {
            return null;
        }
        // STIX wants lower case, colon-separated.
        var canonical = string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2).ToLowerInvariant()));
        return $"[mac-addr:value = {Quote(canonical)}]";
    }

    private static string? AsNumber(string value)
    {
        var digits = value.StartsWith("AS", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        return uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? $"[autonomous-system:number = {number.ToString(CultureInfo.InvariantCulture)}]"
            : null;
    }

    private static int? Port(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535 ? port : null;

    private static IPAddress? Ip(string text)
    {
        var value = text.Trim();
        if (!IPAddress.TryParse(value, out var ip))
        {
            return null;
        }
        // A dotted quad only (inet_aton forms like "10.1" are typos), and IPv6 in colon form.
        return ip.AddressFamily switch
        {
            AddressFamily.InterNetwork when string.Equals(ip.ToString(), value, StringComparison.Ordinal) => ip,
            AddressFamily.InterNetworkV6 when value.Contains(':', StringComparison.Ordinal) => ip,
            _ => null,
        };
    }

    private static string ObjectType(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6-addr" : "ipv4-addr";

    private static string? Domain(string value)
    {
        var d = value.TrimEnd('.');
        return d.Length is > 0 and <= 253 && d.Contains('.', StringComparison.Ordinal) && d.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? d.ToLowerInvariant()
            : null;
    }

    private static bool IsUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host);

    private static bool IsEmail(string value)
    {
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == value.LastIndexOf('@') && at < value.Length - 1 && !value.Any(char.IsWhiteSpace);
    }
}
