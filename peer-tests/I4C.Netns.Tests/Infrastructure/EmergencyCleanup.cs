using System.Runtime.InteropServices;

namespace I4C.Netns.Tests.Infrastructure;

/// <summary>
/// Last-resort cleanup when the test process is stopped (SIGTERM, SIGINT, SIGHUP) or exits while
/// a lab is still standing: its node processes are killed and its namespaces, veths and bridge
/// deleted. Normal runs clean up in the tests themselves; this covers an aborted run. (SIGKILL
/// cannot be caught: a run killed that way leaves its i4c-&lt;tag&gt;-n* namespaces behind.)
/// </summary>
public static class EmergencyCleanup
{
    private static readonly Lock Gate = new();
    private static readonly List<(long Order, Action Action)> Actions = [];
    private static readonly List<PosixSignalRegistration> Signals = [];
    private static long _next;

    static EmergencyCleanup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
        // The test host does not raise ProcessExit on SIGTERM, so the signals are caught here;
        // the default action (ending the process) still follows.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            Signals.Add(PosixSignalRegistration.Create(signal, _ => RunAll()));
        }
    }

    /// <summary>Registers <paramref name="action"/>; dispose the result once the action has run normally.</summary>
    public static IDisposable Register(Action action)
    {
        lock (Gate)
        {
            var order = ++_next;
            Actions.Add((order, action));
            return new Registration(order);
        }
    }

    private static void RunAll()
    {
        List<(long Order, Action Action)> pending;
        lock (Gate)
        {
            // Newest first: a lab's node processes go before its network.
            pending = Actions.OrderByDescending(a => a.Order).ToList();
            Actions.Clear();
        }
        foreach (var (_, action) in pending)
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine("i4c netns tests: emergency cleanup failed: " + ex.Message);
            }
        }
    }

    private sealed class Registration(long order) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                Actions.RemoveAll(a => a.Order == order);
            }
        }
    }
}
