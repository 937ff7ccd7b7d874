using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace I4C.Node.Hosting;

/// <summary>Purges expired payloads on a timer driven by the injected <see cref="TimeProvider"/>.</summary>
internal sealed class ExpirySweeper(LocalNode node, NodeOptions options, ILogger<ExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ExpirySweepInterval, node.Time);
        do
        {
            try
            {
                node.PurgeExpired();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                NodeLog.ExpirySweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
