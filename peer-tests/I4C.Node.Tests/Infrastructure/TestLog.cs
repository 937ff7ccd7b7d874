using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Tests.Infrastructure;

/// <summary>One captured log line.</summary>
public sealed record LogEntry(string Category, int EventId, string? EventName, LogLevel Level, string Message, Exception? Exception)
{
    public override string ToString() =>
        $"[{Level}] {Category} {EventName ?? EventId.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {Message}{(Exception is null ? string.Empty : " — " + Exception.GetType().Name + ": " + Exception.Message)}";
}

/// <summary>
/// A capturing <see cref="ILoggerProvider"/>. Tests assert on event names, never on message
/// text. An Error or Critical entry fails the owning fixture unless the test declared
/// its event name expected with <see cref="Expect"/>.
/// </summary>
public sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentDictionary<string, bool> _expected = new(StringComparer.Ordinal);

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    /// <summary>Declares that errors with this event name are part of the test, not a failure.</summary>
    public void Expect(string eventName) => _expected[eventName] = true;

    public bool Has(string eventName, LogLevel? level = null) =>
        _entries.Any(e => e.EventName == eventName && (level is null || e.Level == level));

    public int Count(string eventName) => _entries.Count(e => e.EventName == eventName);

    /// <summary>Error and Critical entries whose event name the test did not expect.</summary>
    public IReadOnlyList<LogEntry> UnexpectedErrors() =>
        _entries.Where(e => e.Level >= LogLevel.Error && (e.EventName is null || !_expected.ContainsKey(e.EventName))).ToList();

    public void AssertNoUnexpectedErrors()
    {
        var errors = UnexpectedErrors();
        if (errors.Count > 0)
        {
            throw new Xunit.Sdk.XunitException("The node logged errors the test did not expect:" + Environment.NewLine +
                string.Join(Environment.NewLine, errors.Select(e => "  " + e)));
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Nothing to release; the same provider is handed to more than one logger factory.</summary>
    public void Dispose()
    {
    }

    private sealed class Logger(TestLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue(new LogEntry(category, eventId.Id, eventId.Name, logLevel, formatter(state, exception), exception));
        }
    }
}
