using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>
/// The steps of a lab with their times: kept for failure messages and written to the output of
/// the test that is running (a lab shared by the tests of a class outlives each of them).
/// </summary>
public sealed class Timeline
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<string> _lines = new();
    private ITestOutputHelper? _output;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Sends the lines from now on to <paramref name="output"/> (null: to none), after the ones so far.</summary>
    public void Attach(ITestOutputHelper? output)
    {
        _output = output;
        if (output is not null)
        {
            Write("--- timeline of the lab so far:" + Environment.NewLine + ToString() + Environment.NewLine + "--- this test:");
        }
    }

    public void Step(string text)
    {
        // Relative time to read the test, UTC time of day to match the nodes' log lines.
        var line = $"+{_clock.Elapsed.TotalSeconds,6:0.0}s {DateTime.UtcNow:HH:mm:ss.fff}Z  {text}";
        _lines.Enqueue(line);
        Write(line);
    }

    public override string ToString() => string.Join(Environment.NewLine, _lines);

    private void Write(string text)
    {
        try
        {
            _output?.WriteLine(text);
        }
        catch (InvalidOperationException)
        {
            // The test already finished (a late cleanup line): kept in the timeline only.
        }
    }
}
