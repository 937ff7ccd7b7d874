using System.Net;
using I4C.Node.Hosting;
using I4C.Node.Tests.Infrastructure;

namespace I4C.Node.Tests;

/// <summary>NodeOptionsLoader: defaults &lt; node.json &lt; I4C_* environment &lt; command line.</summary>
[Trait("Category", "Integration")]
public sealed class NodeOptionsTests
{
    [Fact]
    public void Load_FileEnvironmentAndFlags_HigherSourceWins()
    {
        // Arrange
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "node.json"), """
            { "listen": "127.0.0.1:1001", "admin": "127.0.0.1:1002", "udp": 1003, "maxPayload": 4096, "logFormat": "json", "seeds": ["file.example:7411"] }
            """);
        var environment = new Dictionary<string, string>
        {
            ["I4C_LISTEN"] = "127.0.0.1:2001",
            ["I4C_UDP"] = "2003",
            ["I4C_SEEDS"] = "env-a.example:7411, env-b.example:7411",
        };

        // Act
        var options = NodeOptionsLoader.Load(["--data", dir.Path, "--udp", "3003"], environment.GetValueOrDefault);

        // Assert
        Assert.Equal(dir.Path, options.DataDirectory);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 2001), options.Listen);  // environment over file
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1002), options.Admin);   // file over default
        Assert.Equal(3003, options.UdpPort);                                     // flag over environment
        Assert.Equal(4096, options.MaxPayloadBytes);
        Assert.Equal("json", options.LogFormat);
        Assert.Equal(["env-a.example:7411", "env-b.example:7411"], options.Seeds);
    }

    [Fact]
    public void Load_NothingSet_Defaults()
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var options = NodeOptionsLoader.Load(["--data", dir.Path], _ => null);

        // Assert
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7411), options.Listen);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7410), options.Admin);
        Assert.Equal(7411, options.UdpPort);
        Assert.Empty(options.Seeds);
        Assert.Null(options.FirstStartProfile);
    }

    [Fact]
    public void Load_DataDirectoryFromEnvironment_ReadsItsNodeJson()
    {
        // Arrange
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "node.json"), """{ "udp": 4444 }""");

        // Act
        var options = NodeOptionsLoader.Load([], name => name == "I4C_DATA" ? dir.Path : null);

        // Assert
        Assert.Equal(dir.Path, options.DataDirectory);
        Assert.Equal(4444, options.UdpPort);
    }

    [Fact]
    public void Load_UnknownKeyInNodeJson_ThrowsNamingIt()
    {
        // Arrange
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "node.json"), """{ "listen": "127.0.0.1:0", "lisen": "127.0.0.1:1" }""");

        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(["--data", dir.Path], _ => null));

        // Assert
        Assert.Contains("'lisen'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--udp", "abc")]
    [InlineData("--udp", "70000")]
    [InlineData("--listen", "nohost")]
    [InlineData("--listen", "bonn.example:7411")]
    [InlineData("--log-format", "xml")]
    [InlineData("--max-payload", "12")]
    [InlineData("--category", "city")]
    public void Load_BadValue_ThrowsNamingTheOption(string flag, string value)
    {
        // Arrange
        using var dir = new TempDirectory();
        string[] args = flag == "--category"
            ? ["--data", dir.Path, "--name", "City of Bonn", flag, value]
            : ["--data", dir.Path, flag, value];

        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(args, _ => null));

        // Assert
        Assert.Contains(flag, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--frobnicate", "1")]
    [InlineData("--udp")]
    public void Load_UnknownFlagOrMissingValue_Throws(params string[] args)
    {
        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(args, _ => null));

        // Assert
        Assert.Contains(args[0], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RepeatedSeed_Accumulates()
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var options = NodeOptionsLoader.Load(["--data", dir.Path, "--seed", "bonn.example:7411", "--seed=gent.example:7411", "--seed", "[2001:db8::1]:7411"], _ => null);

        // Assert
        Assert.Equal(["bonn.example:7411", "gent.example:7411", "[2001:db8::1]:7411"], options.Seeds);
    }

    [Fact]
    public void Load_ProfileFlags_BuildFirstStartProfile()
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var options = NodeOptionsLoader.Load(["--data", dir.Path, "--name", "City of Gent", "--country", "be", "--category", "eu-city", "--listener"], _ => null);

        // Assert
        Assert.Equal(new Core.Identity.NodeProfile("City of Gent", "BE", Core.Identity.MemberCategory.EuCity, Core.Identity.Participation.Listener), options.FirstStartProfile);
    }

    [Fact]
    public void Load_LimitOptions_FromFlagsEnvironmentAndNodeJson()
    {
        // Arrange
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "node.json"), """{"maxPeers": 12, "maxDbSize": "2G", "http": "127.0.0.1:9412"}""");

        // Act
        var options = NodeOptionsLoader.Load(["--data", dir.Path, "--max-records-per-minute", "50"], name => name == "I4C_MAX_DB_SIZE" ? "500M" : null);
        var defaults = NodeOptionsLoader.Load(["--data", dir.Path + "-none"], _ => null);

        // Assert
        Assert.Equal(50, options.MaxRecordsPerAuthorPerMinute);
        Assert.Equal(12, options.MaxPeers);
        Assert.Equal(500L * 1024 * 1024, options.MaxDatabaseBytes);
        Assert.Equal(9412, options.Http.Port);
        Assert.Equal(600, defaults.MaxRecordsPerAuthorPerMinute);
        Assert.Equal(32, defaults.MaxPeers);
        Assert.Equal(10L * 1024 * 1024 * 1024, defaults.MaxDatabaseBytes);
    }

    [Theory]
    [InlineData("--max-db-size", "12X")]
    [InlineData("--max-db-size", "1000")]
    [InlineData("--max-peers", "0")]
    [InlineData("--max-peers", "2")]
    [InlineData("--max-records-per-minute", "-1")]
    public void Load_BadLimit_NamesTheOption(string flag, string value)
    {
        // Arrange
        using var dir = new TempDirectory();

        // Act
        var error = Assert.Throws<NodeOptionsException>(() => NodeOptionsLoader.Load(["--data", dir.Path, flag, value], _ => null));

        // Assert
        Assert.Contains(flag, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1M", 1L << 20)]
    [InlineData("10G", 10L << 30)]
    [InlineData("10GiB", 10L << 30)]
    [InlineData("2t", 2L << 40)]
    [InlineData("5242880", 5242880L)]
    public void ParseSize_Forms_Bytes(string text, long bytes)
    {
        // Act / Assert
        Assert.Equal(bytes, NodeOptionsLoader.ParseSize(text, "--max-db-size"));
    }
}
