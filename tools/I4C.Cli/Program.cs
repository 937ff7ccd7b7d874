namespace I4C.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        // Ctrl+C and SIGTERM cancel the command, so it can clean up (the pilot stops every node it started).
        // The signal registrations live as long as the command runs.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cts.Cancel();
        });
        return await CliApp.RunAsync(args, Console.Out, Console.Error, cts.Token).ConfigureAwait(false);
    }
}
