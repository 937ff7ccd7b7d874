using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Core.Tests;

/// <summary>The command line's TYPE:VALUE indicators and their value checks.</summary>
[Trait("Category", "Unit")]
public sealed class IndicatorTests
{
    [Theory]
    [InlineData("ip-dst:203.0.113.7", "ip-dst", "203.0.113.7")]
    [InlineData("ip-dst:2001:db8::7", "ip-dst", "2001:db8::7")]
    [InlineData("domain:evil.example", "domain", "evil.example")]
    [InlineData("domain:mail.evil-corp.example.org", "domain", "mail.evil-corp.example.org")]
    [InlineData("url:https://evil.example/login?next=/a:b", "url", "https://evil.example/login?next=/a:b")]
    [InlineData("url:http://203.0.113.7:8080/x", "url", "http://203.0.113.7:8080/x")]
    [InlineData("email-src:phish@evil.example", "email-src", "phish@evil.example")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", "md5", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha1:DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("filename:invoice.pdf.exe", "filename", "invoice.pdf.exe")]
    [InlineData("filename:C:\\Users\\Public\\payload.dll", "filename", "C:\\Users\\Public\\payload.dll")]
    [InlineData("vulnerability:CVE-2024-3094", "vulnerability", "CVE-2024-3094")]
    [InlineData("vulnerability:CVE-2021-44228", "vulnerability", "CVE-2021-44228")]
    [InlineData("  domain :  evil.example  ", "domain", "evil.example")]
    public void Parse_ValidIndicator_SplitsAtTheFirstColon(string text, string type, string value)
    {
        // Act
        var indicator = Indicators.Parse(text);

        // Assert
        Assert.Equal(type, indicator.Type);
        Assert.Equal(value, indicator.Value);
        Assert.True(indicator.ToIds);
        Assert.Null(Indicators.Problem(indicator));
    }

    [Theory]
    [InlineData("ip-dst:203.0.113.256")]
    [InlineData("ip-dst:evil.example")]
    [InlineData("ip-dst:12345")]
    [InlineData("domain:evil")]
    [InlineData("domain:evil..example")]
    [InlineData("domain:-evil.example")]
    [InlineData("domain:evil.example/path")]
    [InlineData("url:evil.example/path")]
    [InlineData("url:not a url")]
    [InlineData("email-src:phish.evil.example")]
    [InlineData("email-src:phish@evil")]
    [InlineData("email-src:ph ish@evil.example")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427")]
    [InlineData("md5:g41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("sha1:da39a3ee5e6b4b0d3255bfef95601890afd8070")]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("sha256:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("filename:   ")]
    [InlineData("vulnerability:CVE-24-3094")]
    [InlineData("vulnerability:CVE-2024-309")]
    [InlineData("vulnerability:log4shell")]
    public void Parse_InvalidValue_ThrowsFormatExceptionNamingValueAndType(string text)
    {
        // Arrange
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var type = text[..colon];
        var value = text[(colon + 1)..].Trim();

        // Act
        var ex = Assert.Throws<FormatException>(() => Indicators.Parse(text));

        // Assert
        Assert.Equal($"'{value}' is not a valid {type} value", ex.Message);
    }

    [Theory]
    [InlineData("ip-dst:203.0.113")] // a typo: three octets
    [InlineData("ip-dst:10.1")] // inet_aton shorthand, not a dotted quad
    public void Parse_IpWithMissingOctets_IsRefused(string text)
    {
        // Act
        var ex = Record.Exception(() => Indicators.Parse(text));

        // Assert
        Assert.IsType<FormatException>(ex);
    }

    [Fact]
    public void Problem_FilenameWithNul_IsRefused()
    {
        // Act
        var problem = Indicators.Problem(new Indicator { Type = "filename", Value = "a\0b.exe" });

        // Assert
        Assert.NotNull(problem);
        Assert.Contains("filename", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_ValueLongerThanTheLimit_IsRefusedNamingTheLimit()
    {
        // Act
        var problem = Indicators.Problem(new Indicator { Type = "text", Value = new string('x', Indicators.MaxValueLength + 1) });

        // Assert
        Assert.NotNull(problem);
        Assert.Contains("4096", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ipdst:203.0.113.7", "ipdst")]
    [InlineData("IP-DST:203.0.113.7", "IP-DST")]
    [InlineData("sha-256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha-256")]
    public void Parse_UnknownType_ThrowsNamingTheType(string text, string type)
    {
        // Act
        var ex = Assert.Throws<FormatException>(() => Indicators.Parse(text));

        // Assert
        Assert.Contains($"unknown indicator type '{type}'", ex.Message, StringComparison.Ordinal);
        Assert.False(Indicators.IsKnownType(type));
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData(":203.0.113.7")]
    [InlineData("ip-dst:")]
    [InlineData("")]
    public void Parse_NotTypeColonValue_ThrowsShowingTheForm(string text)
    {
        // Act
        var ex = Assert.Throws<FormatException>(() => Indicators.Parse(text));

        // Assert
        Assert.Contains("TYPE:VALUE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownTypes_IncludeTheDocumentedOnes()
    {
        // Arrange
        string[] documented = ["ip-src", "ip-dst", "domain", "hostname", "url", "email-src", "md5", "sha1", "sha256", "filename", "vulnerability"];

        // Act / Assert
        Assert.All(documented, t => Assert.Contains(t, Indicators.KnownTypes));
    }
}
