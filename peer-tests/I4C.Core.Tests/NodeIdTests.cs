using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CsCheck;
using I4C.Core.Encoding;
using I4C.Core.Identity;

namespace I4C.Core.Tests;

[Trait("Category", "Unit")]
public sealed partial class NodeIdTests
{
    [GeneratedRegex("^[a-z2-7]{52}$")]
    private static partial Regex NodeIdText();

    [GeneratedRegex("^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")]
    private static partial Regex FingerprintText();

    [Fact]
    public void Text_OfNewIdentity_Is52LowerCaseBase32Characters()
    {
        // Arrange
        using var identity = NodeIdentity.Create();

        // Act
        var text = identity.Id.Text;

        // Assert
        Assert.Matches(NodeIdText(), text);
        Assert.Equal(text, identity.Id.ToString());
        Assert.Equal(Base32.Encode(identity.Id.PublicKey).ToLowerInvariant(), text);
    }

    [Fact]
    public void Parse_OfText_RoundTripsToTheSameKey()
    {
        // Arrange
        using var identity = NodeIdentity.Create();

        // Act
        var parsed = NodeId.Parse(identity.Id.Text);
        var parsedUpper = NodeId.Parse(identity.Id.Text.ToUpperInvariant());
        var parsedPadded = NodeId.Parse("  " + identity.Id.Text + "\n");

        // Assert
        Assert.Equal(identity.Id, parsed);
        Assert.Equal(identity.Id.ToBytes(), parsed.ToBytes());
        Assert.Equal(identity.Id, parsedUpper);
        Assert.Equal(identity.Id, parsedPadded);
        Assert.Equal(identity.Id.GetHashCode(), parsed.GetHashCode());
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 51 characters
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 53 characters
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")] // '1' is not base32
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa8")] // '8' is not base32
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=")] // no padding
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab")] // non-zero trailing bits
    public void Parse_InvalidText_ThrowsFormatExceptionNamingTheInput(string text)
    {
        // Act
        var ok = NodeId.TryParse(text, out var id);
        var ex = Assert.Throws<FormatException>(() => NodeId.Parse(text));

        // Assert
        Assert.False(ok);
        Assert.Null(id);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("52 base32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPublicKey_WrongLength_ThrowsNamingTheLength()
    {
        // Act
        var ex = Assert.Throws<ArgumentException>(() => NodeId.FromPublicKey(new byte[31]));

        // Assert
        Assert.Contains("31", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fingerprint_OfIdentity_IsFourGroupsOfFourBase32Characters()
    {
        // Arrange
        using var identity = NodeIdentity.Create();

        // Act
        var fingerprint = identity.Id.Fingerprint;

        // Assert
        Assert.Matches(FingerprintText(), fingerprint);
    }

    [Fact]
    public void Fingerprint_OfIdentity_IsBase32OfFirst80BitsOfPrefixedSha256()
    {
        // Arrange
        using var identity = NodeIdentity.Create();
        var digest = SHA256.HashData([.. "I4C-FINGERPRINT-V1"u8, .. identity.Id.PublicKey]);
        var expected = Base32.Encode(digest.AsSpan(0, 10));

        // Act
        var fingerprint = identity.Id.Fingerprint;

        // Assert
        Assert.Equal(expected, fingerprint.Replace("-", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void Fingerprint_SameKey_IsStableAcrossInstancesAndImport()
    {
        // Arrange
        using var identity = NodeIdentity.Create();
        using var imported = NodeIdentity.Import(identity.ExportSigningKey(), identity.ExportAgreementKey());

        // Act
        var first = identity.Id.Fingerprint;
        var again = identity.Id.Fingerprint;
        var reparsed = NodeId.Parse(identity.Id.Text).Fingerprint;
        var fromImport = imported.Id.Fingerprint;

        // Assert
        Assert.Equal(first, again);
        Assert.Equal(first, reparsed);
        Assert.Equal(first, fromImport);
        Assert.Equal(identity.Id, imported.Id);
    }

    [Fact]
    public void Fingerprint_DifferentKeys_Differ()
    {
        // Arrange
        using var a = NodeIdentity.Create();
        using var b = NodeIdentity.Create();

        // Act / Assert
        Assert.NotEqual(a.Id, b.Id);
        Assert.NotEqual(a.Id.Fingerprint, b.Id.Fingerprint);
        Assert.NotEqual(a.Id.Text, b.Id.Text);
    }

    [Fact]
    public void Base32_EncodeThenDecode_RoundTripsAnyBytes()
    {
        // Arrange: any byte array up to 100 bytes.
        Gen.Byte.Array[0, 100].Sample(bytes =>
        {
            // Act
            var text = Base32.Encode(bytes);
            var decoded = Base32.TryDecode(text, out var back);
            var decodedLower = Base32.TryDecode(text.ToLowerInvariant(), out var backLower);

            // Assert
            Assert.True(decoded, text);
            Assert.Equal(bytes, back);
            Assert.True(decodedLower, text);
            Assert.Equal(bytes, backLower);
            Assert.Equal((bytes.Length * 8 + 4) / 5, text.Length);
            Assert.DoesNotContain('=', text);
        }, iter: 2000);
    }

    [Fact]
    public void Base32_Encode_MatchesRfc4648TestVectorsWithoutPadding()
    {
        // Act / Assert: the vectors of RFC 4648 section 10, padding dropped.
        Assert.Equal(string.Empty, Base32.Encode(""u8));
        Assert.Equal("MY", Base32.Encode("f"u8));
        Assert.Equal("MZXQ", Base32.Encode("fo"u8));
        Assert.Equal("MZXW6", Base32.Encode("foo"u8));
        Assert.Equal("MZXW6YQ", Base32.Encode("foob"u8));
        Assert.Equal("MZXW6YTB", Base32.Encode("fooba"u8));
        Assert.Equal("MZXW6YTBOI", Base32.Encode("foobar"u8));
    }

    [Theory]
    [InlineData("MZXW6YT0")] // 0
    [InlineData("MZXW6YT1")] // 1
    [InlineData("MZXW6YT8")] // 8
    [InlineData("MZXW6YT9")] // 9
    [InlineData("MZXW6YQ=")] // padding
    [InlineData("MZXW-6YT")] // separator
    [InlineData("MZXW 6YT")] // space
    [InlineData("MZXW6YTé")] // non-ASCII
    public void Base32_TryDecode_InvalidCharacter_ReturnsFalse(string text)
    {
        // Act
        var ok = Base32.TryDecode(text, out var data);

        // Assert
        Assert.False(ok);
        Assert.Empty(data);
    }

    [Fact]
    public void Base32_TryDecode_NonZeroTrailingBits_ReturnsFalse()
    {
        // Act / Assert: "MY" is "f"; "MZ" sets one of the two padding bits.
        Assert.True(Base32.TryDecode("MY", out _));
        Assert.False(Base32.TryDecode("MZ", out _));
    }
}
