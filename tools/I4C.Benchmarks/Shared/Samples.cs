using System.Text;
using Google.Protobuf;
using I4C.Core.Identity;
using I4C.Core.Records;
using I4C.Protocol.V1;

namespace I4C.Benchmarks.Shared;

/// <summary>
/// The sample data every benchmark uses: a realistic advisory whose serialized payload is
/// exactly <see cref="PayloadBytes"/> bytes, and chains of signed records built from it.
/// Deterministic apart from the keys, so runs compare across commits.
/// </summary>
public static class Samples
{
    /// <summary>The payload size the benchmarks publish: 1 KiB.</summary>
    public const int PayloadBytes = 1024;

    /// <summary>A fixed clock for signed samples: records must not lie in the validator's future.</summary>
    public static DateTimeOffset SignedAt { get; } = DateTimeOffset.UtcNow.AddMinutes(-1);

    /// <summary>
    /// An advisory with a title, two indicators, tags and a body padded so that the serialized
    /// message is exactly <paramref name="size"/> bytes. <paramref name="serial"/> varies the title.
    /// </summary>
    public static Advisory Advisory(int serial = 0, int size = PayloadBytes)
    {
        var advisory = new Advisory
        {
            Title = $"Benchmark advisory {serial:D6}: phishing wave against municipal mail gateways",
            ThreatLevel = 2,
            Analysis = 1,
            ExternalId = "5f0e2c1a-7b7d-4c1e-9a55-bench0000001",
            Tags = { "i4c:benchmark", "misp-galaxy:threat-actor=\"none\"" },
            Indicators =
            {
                new Indicator { Type = "ip-dst", Value = "198.51.100.23", Category = "Network activity", ToIds = true },
                new Indicator { Type = "domain", Value = "login-stadt.example.org", Category = "Network activity", ToIds = true },
            },
        };
        var withoutBody = advisory.CalculateSize();
        // Field 2 (body) costs 1 tag byte + a length varint + the text; 2 length bytes suffice for 128..16383.
        var bodyLength = size - withoutBody - 1 - 2;
        if (bodyLength < 128)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Too small for the sample advisory.");
        }
        advisory.Body = Filler(bodyLength);
        if (advisory.CalculateSize() != size)
        {
            throw new InvalidOperationException($"The sample advisory is {advisory.CalculateSize()} bytes, not {size}.");
        }
        return advisory;
    }

    /// <summary>A draft of a TLP:GREEN advisory for all members, payload exactly 1 KiB.</summary>
    public static RecordDraft Draft(int serial = 0) => new()
    {
        Kind = RecordKind.Advisory,
        Tlp = Tlp.Green,
        Payload = Advisory(serial).ToByteArray(),
    };

    /// <summary>Signs <paramref name="count"/> records, one chain (seq 1..count) on the mesh channel.</summary>
    public static List<SignedRecord> Chain(NodeIdentity author, int count)
    {
        ArgumentNullException.ThrowIfNull(author);
        var records = new List<SignedRecord>(count);
        RecordId prev = default;
        for (var i = 1; i <= count; i++)
        {
            var wire = RecordWriter.Sign(author, Draft(i), (ulong)i, prev, SignedAt);
            prev = RecordId.OfHeader(wire.Header.Span);
            records.Add(wire);
        }
        return records;
    }

    /// <summary>A temporary directory the caller deletes; named so a stray one is recognisable.</summary>
    public static string TempDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"i4c-bench-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a directory tree, ignoring one that is already gone.</summary>
    public static void DeleteDirectory(string? path)
    {
        if (path is null)
        {
            return;
        }
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"i4c-bench: could not delete {path}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.Error.WriteLine($"i4c-bench: could not delete {path}: {ex.Message}");
        }
    }

    private static string Filler(int length)
    {
        const string text = "Several cities report a phishing wave that imitates the municipal webmail login. "
            + "Block the indicators below at the mail gateway and the proxy; reset credentials entered on the fake page. ";
        var builder = new StringBuilder(length + text.Length);
        while (builder.Length < length)
        {
            builder.Append(text);
        }
        return builder.ToString(0, length);
    }
}
