namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// The background loops of a test load (HTTP or gRPC) and the one switch that stops them: stopping
/// lets calls in flight finish, so everything started is counted.
/// </summary>
internal sealed class LoadWorkers : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public bool Stopping => _stop.IsCancellationRequested;

    /// <summary>Cancelled on stop: for the pauses between calls, never for a call in flight.</summary>
    public CancellationToken StopToken => _stop.Token;

    public void Start(Func<Task> loop) => _loops.Add(Task.Run(loop));

    /// <summary>Stops starting calls and waits for every loop to end (calls in flight run to their end).</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
