namespace I4C.Node.Tests.Infrastructure;

/// <summary>Unix permission bits of a file, as octal text for messages. These tests run on Linux.</summary>
public static class FileModes
{
    public static UnixFileMode Of(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("file modes are checked on Unix only");
        }
        return File.GetUnixFileMode(path);
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8);
}
