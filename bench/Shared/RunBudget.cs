using System.Runtime.InteropServices;

namespace Baton.Bench.Shared;

/// <summary>
/// A benchmark run's one cancellation: it fires on the time budget, Ctrl+C or SIGTERM, so every await
/// is cancelled and every process the bench started is killed on the way out instead of outliving it.
/// </summary>
internal sealed class RunBudget : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration _sigterm;

    public RunBudget(TimeSpan budget)
    {
        _cancel = new CancellationTokenSource(budget);
        Console.CancelKeyPress += OnCancelKeyPress;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _cancel.Cancel();
        });
    }

    public CancellationToken Token => _cancel.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm.Dispose();
        _cancel.Dispose();
    }
}
