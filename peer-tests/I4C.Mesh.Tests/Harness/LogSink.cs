using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace I4C.Mesh.Tests.Harness;

/// <summary>One log line a node wrote: which node, category, level and the stable event name tests assert on.</summary>
public sealed record LogEntry(int Node, string Category, LogLevel Level, int EventId, string? EventName, string Message, Exception? Exception, TimeSpan At)
{
    public override string ToString()
    {
        var category = Category.LastIndexOf('.') is var dot and >= 0 ? Category[(dot + 1)..] : Category;
        var error = Exception is null ? string.Empty : $" | {Exception.GetType().Name}: {Exception.Message}";
        return $"[{At.TotalSeconds,8:0.000}] n{Node} {Level,-11} {category}/{EventName ?? EventId.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {Message}{error}";
    }
}

/// <summary>Collects the log lines of every node of a cluster, in order, for assertions and for the test output on failure.</summary>
public sealed class LogSink
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    public ILoggerProvider ProviderFor(int node) => new CapturingLoggerProvider(this, node);

    internal void Add(LogEntry entry) => _entries.Enqueue(entry);

    internal TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Entries with this event name, optionally of one node only.</summary>
    public IReadOnlyList<LogEntry> Events(string eventName, int? node = null) =>
        _entries.Where(e => e.EventName == eventName && (node is null || e.Node == node)).ToList();

    public bool Has(string eventName, int? node = null) => _entries.Any(e => e.EventName == eventName && (node is null || e.Node == node));
}

/// <summary>An <see cref="ILoggerProvider"/> that records every line it is given into a <see cref="LogSink"/>, tagged with the node's index.</summary>
public sealed class CapturingLoggerProvider(LogSink sink, int node) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(sink, node, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, int node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Add(new LogEntry(node, category, logLevel, eventId.Id, eventId.Name, formatter(state, exception), exception, sink.Elapsed));
    }
}
