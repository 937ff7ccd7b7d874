namespace I4C.Core.Interop.Misp;

/// <summary>
/// A MISP event as read from a file (MISP core format), reduced to what the mesh keeps.
/// Numbers that MISP writes as strings are already numbers here; absent values are null.
/// </summary>
public sealed record MispEvent(
    string Source,
    string? Uuid,
    string Info,
    string Date,
    int? ThreatLevel,
    int? Analysis,
    int? Distribution,
    long TimestampUnix,
    IReadOnlyList<string> Tags,
    IReadOnlyList<MispAttribute> Attributes,
    IReadOnlyList<MispObject> Objects,
    IReadOnlyList<string> Reports);

/// <summary>A MISP attribute, at event level or inside an object.</summary>
public sealed record MispAttribute(
    string Where,
    string? Uuid,
    string Type,
    string Category,
    string Value,
    bool ToIds,
    string Comment,
    long FirstSeenUnixMs,
    long LastSeenUnixMs,
    int? Distribution,
    bool Deleted,
    IReadOnlyList<string> Tags,
    string ObjectRelation);

/// <summary>A MISP object: a named group of attributes (file, url, domain-ip, …).</summary>
public sealed record MispObject(
    string Where,
    string? Uuid,
    string Name,
    string MetaCategory,
    int? Distribution,
    bool Deleted,
    IReadOnlyList<MispAttribute> Attributes);

/// <summary>A MISP file that is not valid JSON or not a MISP event. The message names the file and the position.</summary>
public sealed class MispFormatException(string message) : Exception(message);

/// <summary>An event the import refuses (no TLP, sharing group without recipients, a bad attribute …). The message names the event.</summary>
public sealed class MispImportException(string message) : Exception(message);
