namespace I4C.Storage;

/// <summary>Writes files atomically (temp file, fsync, rename), readable only by the owner when asked.</summary>
public static class SecureFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, UnixFileMode mode = OwnerOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text, UnixFileMode mode = OwnerOnly) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text), mode);

    /// <summary>Throws when a secret file can be read by anyone but its owner.</summary>
    public static void RequireOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~OwnerOnly) != 0)
        {
            throw new DataDirectoryException(
                $"{path} is readable by others (mode {Convert.ToString((int)mode, 8)}); it holds a secret. Run: chmod 600 {path}");
        }
    }
}

/// <summary>The data directory is missing, incomplete, or unsafe. The message says what to do.</summary>
public sealed class DataDirectoryException(string message) : Exception(message);
