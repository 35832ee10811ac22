using Baton.Proxy.Hosting;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Xds;

/// <summary>
/// Keeps one long-lived stream to the orchestrator open (the ADS stream, the LRS stream): runs it,
/// and whenever it ends or fails, logs why and opens the next after an exponential backoff
/// (<see cref="ProxyOptions.ReconnectInitialDelay"/> doubling up to <see cref="ProxyOptions.ReconnectMaxDelay"/>),
/// which starts over once a stream got an answer from the server.
/// </summary>
internal static class ControlPlaneStreamLoop
{
    /// <param name="name">The stream's name in log lines ("ADS", "LRS").</param>
    /// <param name="runStream">Runs one stream to its end; calls the action it is given once the server answered on it.</param>
    /// <param name="afterStream">Runs after each stream, however it ended.</param>
    public static async Task RunAsync(string name, ProxyOptions options, ILogger logger,
        Func<Action, CancellationToken, Task> runStream, Action? afterStream, CancellationToken stop)
    {
        var delay = options.ReconnectInitialDelay;
        while (!stop.IsCancellationRequested)
        {
            var answered = false;
            try
            {
                await runStream(() => answered = true, stop);
                logger.LogWarning("{Stream} stream to {Server} closed by the server; reconnecting", name, options.XdsServer);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException && stop.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e)
            {
                logger.LogWarning("{Stream} stream to {Server} failed ({Status}: {Detail}); reconnecting",
                    name, options.XdsServer, e.StatusCode, e.Status.Detail);
            }
            catch (Exception e)
            {
                // Not a transport failure: a bug. Log it whole and try a fresh stream.
                logger.LogError(e, "{Stream} stream to {Server} failed unexpectedly; reconnecting", name, options.XdsServer);
            }
            finally
            {
                afterStream?.Invoke();
            }

            if (answered) delay = options.ReconnectInitialDelay;
            try
            {
                await Task.Delay(delay, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.ReconnectMaxDelay.Ticks));
        }
    }
}
