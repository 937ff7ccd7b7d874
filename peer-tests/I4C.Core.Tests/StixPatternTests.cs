using I4C.Core.Interop.Stix;
using I4C.Protocol.V1;

namespace I4C.Core.Tests;

/// <summary>STIX patterns of single indicators, with string-literal escaping.</summary>
public sealed class StixPatternTests
{
    private static string? PatternOf(string type, string value) => StixPatterns.For(new Indicator { Type = type, Value = value })?.Pattern;

    [Theory]
    [InlineData("it's", @"'it\'s'")]
    [InlineData(@"C:\temp", @"'C:\\temp'")]
    [InlineData(@"\'", @"'\\\''")]
    [InlineData("plain", "'plain'")]
    [InlineData("", "''")]
    public void Quote_QuotesAndBackslashes_Escaped(string value, string expected)
    {
        // Act
        var quoted = StixPatterns.Quote(value);

        // Assert
        Assert.Equal(expected, quoted);
    }

    [Theory]
    [InlineData("ip-dst", "203.0.113.5", "[ipv4-addr:value = '203.0.113.5']")]
    [InlineData("ip-src", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']")]
    [InlineData("ip-dst", "198.51.100.77/24", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']")]
    [InlineData("ip-dst", "2001:db8:abcd:12::/48", "[ipv6-addr:value ISSUBSET '2001:db8:abcd::/48']")]
    [InlineData("ip-dst|port", "203.0.113.5|443", "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443]")]
    [InlineData("domain", "Evil.Example.", "[domain-name:value = 'evil.example']")]
    [InlineData("hostname", "mail.evil.example", "[domain-name:value = 'mail.evil.example']")]
    [InlineData("url", "https://evil.example/a?b='c'", @"[url:value = 'https://evil.example/a?b=\'c\'']")]
    [InlineData("email-src", "a@evil.example", "[email-message:from_ref.value = 'a@evil.example']")]
    [InlineData("email-dst", "b@city.example", "[email-message:to_refs[*].value = 'b@city.example']")]
    [InlineData("email", "c@evil.example", "[email-addr:value = 'c@evil.example']")]
    [InlineData("filename", @"C:\Users\it's.exe", @"[file:name = 'C:\\Users\\it\'s.exe']")]
    [InlineData("md5", "D41D8CD98F00B204E9800998ECF8427E", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']")]
    [InlineData("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']")]
    [InlineData("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']")]
    [InlineData("filename|sha256", "x|y.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "[file:name = 'x|y.exe' AND file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']")]
    [InlineData("mac-address", "00-1A-2B-3C-4D-5E", "[mac-addr:value = '00:1a:2b:3c:4d:5e']")]
    [InlineData("AS", "AS64500", "[autonomous-system:number = 64500]")]
    public void For_SupportedType_ExpectedPattern(string type, string value, string expected)
    {
        // Act
        var pattern = PatternOf(type, value);

        // Assert
        Assert.Equal(expected, pattern);
    }

    [Theory]
    [InlineData("vulnerability", "CVE-2024-3400")]
    [InlineData("text", "anything")]
    [InlineData("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")]
    [InlineData("ip-dst", "10.1")]
    [InlineData("ip-dst", "203.0.113.5/33")]
    [InlineData("md5", "not-hex")]
    [InlineData("domain", "no spaces.example")]
    [InlineData("url", "/relative/path")]
    [InlineData("email-src", "no-at-sign")]
    [InlineData("filename|md5", "|d41d8cd98f00b204e9800998ecf8427e")]
    public void For_UnsupportedTypeOrBadValue_Null(string type, string value)
    {
        // Act
        var pattern = StixPatterns.For(new Indicator { Type = type, Value = value });

        // Assert
        Assert.Null(pattern);
    }

    [Fact]
    public void For_Yara_PatternTypeYaraValueVerbatim()
    {
        // Arrange
        const string rule = "rule x { condition: true }";

        // Act
        var pattern = StixPatterns.For(new Indicator { Type = "yara", Value = rule });

        // Assert
        Assert.Equal(new StixPattern(rule, "yara"), pattern);
    }
}
