namespace I4C.Core.Records;

/// <summary>Limits the validator enforces. Defaults are documented in docs/records.md.</summary>
public sealed record RecordLimits
{
    /// <summary>Largest header, in bytes. Default 16 KiB.</summary>
    public int MaxHeaderBytes { get; init; } = 16 * 1024;

    /// <summary>Largest payload, in bytes. Default 1 MiB.</summary>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;

    /// <summary>Most recipients in an explicit audience. Default 256.</summary>
    public int MaxAudience { get; init; } = 256;

    /// <summary>Most references in one header. Default 64.</summary>
    public int MaxReferences { get; init; } = 64;

    /// <summary>How far in the future a creation time may lie. Default 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public static RecordLimits Default { get; } = new();
}
