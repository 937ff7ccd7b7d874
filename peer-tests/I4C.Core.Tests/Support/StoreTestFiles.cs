using I4C.Core.Records;
using Microsoft.Extensions.Time.Testing;

namespace I4C.Core.Tests.Support;

/// <summary>
/// What a test of the store's files needs: a fake clock, an author writing valid records on it,
/// and a database path in a temporary directory (deleted, with the author's key, at dispose).
/// </summary>
internal sealed class StoreTestFiles : IDisposable
{
    private readonly TempDirectory _dir = new();

    public StoreTestFiles(string fileName)
    {
        Author = new TestAuthor(new RecordValidator(RecordLimits.Default, Time), Time);
        Path = _dir.File(fileName);
    }

    public FakeTimeProvider Time { get; } = TestClock.Create();

    public TestAuthor Author { get; }

    public string Path { get; }

    public void Dispose()
    {
        Author.Dispose();
        _dir.Dispose();
    }
}
