using System.Runtime.Versioning;
using I4C.Core.Identity;
using I4C.Core.Tests.Support;
using I4C.Storage;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests;

/// <summary>The data directory's secret files: permissions, round trips, refusals.</summary>
[Trait("Category", "Unit")]
[UnsupportedOSPlatform("windows")]
public sealed class DataDirectoryTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    private static readonly NodeProfile Profile = new("City of Testville", "DE", MemberCategory.EuCity, Participation.Active);

    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly TempDirectory _temp = new();
    private readonly DataDirectory _data;

    public DataDirectoryTests() => _data = new DataDirectory(_temp.File("data"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CreateIdentity_NewDirectory_WritesSecretFilesOwnerOnly()
    {
        // Act
        using var identity = _data.CreateIdentity(Profile, _time);

        // Assert
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_data.KeyPath));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_data.CertificatePath));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_data.TokenPath));
        Assert.Equal(OwnerAll, File.GetUnixFileMode(_data.Root));
        Assert.True(File.Exists(_data.ProfilePath));
        Assert.Empty(Directory.GetFiles(_data.Root, "*.tmp-*"));
    }

    [Fact]
    public void LoadIdentity_AfterCreate_HasTheSameNodeId()
    {
        // Arrange
        using var created = _data.CreateIdentity(Profile, _time);

        // Act
        using var loaded = new DataDirectory(_data.Root).LoadIdentity();

        // Assert
        Assert.Equal(created.Id, loaded.Id);
        Assert.Equal(created.AgreementPublicKey, loaded.AgreementPublicKey);
        Assert.Equal(created.Sign([1, 2, 3]), loaded.Sign([1, 2, 3]));
    }

    [Fact]
    public void LoadProfile_AfterCreate_RoundTrips()
    {
        // Arrange
        using var created = _data.CreateIdentity(Profile, _time);

        // Act
        var profile = _data.LoadProfile();

        // Assert
        Assert.Equal(Profile, profile);
    }

    [Fact]
    public void LoadCertificate_AfterCreate_IsValidFromTheCreationTime()
    {
        // Arrange
        using var created = _data.CreateIdentity(Profile, _time);

        // Act
        using var certificate = _data.LoadCertificate();

        // Assert
        Assert.True(certificate.HasPrivateKey);
        Assert.Contains(created.Id.Text[..16], certificate.Subject, StringComparison.Ordinal);
        Assert.True(certificate.NotBefore.ToUniversalTime() <= TestClock.Start.UtcDateTime);
        Assert.True(certificate.NotAfter.ToUniversalTime() > TestClock.Start.AddYears(9).UtcDateTime);
    }

    [Fact]
    public void EnsureAdminToken_Twice_ReturnsTheSameToken()
    {
        // Arrange
        using var created = _data.CreateIdentity(Profile, _time);

        // Act
        var first = _data.EnsureAdminToken();
        var second = _data.EnsureAdminToken();

        // Assert
        Assert.Equal(first, second);
        Assert.Equal(first, _data.ReadAdminToken());
        Assert.True(first.Length >= 40);
    }

    [Fact]
    public void CreateIdentity_Twice_ThrowsAndKeepsTheFirstKey()
    {
        // Arrange
        using var first = _data.CreateIdentity(Profile, _time);
        var keyBefore = File.ReadAllBytes(_data.KeyPath);

        // Act
        var ex = Assert.Throws<DataDirectoryException>(() => _data.CreateIdentity(Profile, _time));

        // Assert
        Assert.Contains("already holds a node identity", ex.Message, StringComparison.Ordinal);
        Assert.Equal(keyBefore, File.ReadAllBytes(_data.KeyPath));
    }

    [Fact]
    public void CreateIdentity_InvalidProfile_ThrowsNamingTheProblem()
    {
        // Act
        var ex = Assert.Throws<DataDirectoryException>(() =>
            _data.CreateIdentity(Profile with { Country = "Germany" }, _time));

        // Assert
        Assert.Contains("'Germany'", ex.Message, StringComparison.Ordinal);
        Assert.False(_data.HasIdentity);
    }

    [Fact]
    public void LoadIdentity_KeyFileReadableByOthers_ThrowsTellingToChmod600()
    {
        // Arrange
        using (_data.CreateIdentity(Profile, _time))
        {
        }
        File.SetUnixFileMode(_data.KeyPath, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // Act
        var ex = Assert.Throws<DataDirectoryException>(() => _data.LoadIdentity());

        // Assert
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_data.KeyPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("644", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_NoIdentity_ThrowsTellingToInit()
    {
        // Act
        var ex = Assert.Throws<DataDirectoryException>(() => _data.LoadIdentity());

        // Assert
        Assert.Contains("i4c init", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all {")]
    [InlineData("")]
    [InlineData("[1, 2, 3]")]
    [InlineData("null")]
    [InlineData("{\"version\": 2, \"ed25519\": \"AAAA\", \"x25519\": \"AAAA\"}")]
    [InlineData("{\"version\": 1, \"ed25519\": \"%%% not base64 %%%\", \"x25519\": \"AAAA\"}")]
    [InlineData("{\"version\": 1, \"ed25519\": \"AAAA\", \"x25519\": \"AAAA\"}")]
    [InlineData("{\"version\": \"one\"}")]
    public void LoadIdentity_CorruptedKeyFile_ThrowsDataDirectoryException(string content)
    {
        // Arrange
        using (_data.CreateIdentity(Profile, _time))
        {
        }
        SecureFile.WriteAllText(_data.KeyPath, content);

        // Act
        var ex = Record.Exception(() => _data.LoadIdentity());

        // Assert
        Assert.IsType<DataDirectoryException>(ex);
        Assert.Contains(_data.KeyPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore it from backup", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_TruncatedKeyFile_ThrowsDataDirectoryException()
    {
        // Arrange
        using (_data.CreateIdentity(Profile, _time))
        {
        }
        var text = File.ReadAllText(_data.KeyPath);
        SecureFile.WriteAllText(_data.KeyPath, text[..(text.Length / 2)]);

        // Act
        var ex = Record.Exception(() => _data.LoadIdentity());

        // Assert
        Assert.IsType<DataDirectoryException>(ex);
    }
}
