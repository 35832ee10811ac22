using System.Threading.Channels;
using Baton.Agent.Probes;

namespace Baton.Agent.Tests.Probes;

/// <summary>
/// Records every verdict callback together with a figure taken at that moment (typically how
/// many requests the server has seen), and lets the test wait for the next one.
/// </summary>
internal sealed class VerdictLog(Func<int>? snapshot = null)
{
    // Generous: only there so a broken runner fails the test instead of hanging it.
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Channel<(ProbeVerdict Verdict, int At)> _pending = Channel.CreateUnbounded<(ProbeVerdict, int)>();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Record(ProbeVerdict verdict)
    {
        var at = snapshot?.Invoke() ?? 0;
        Interlocked.Increment(ref _count);
        Assert.True(_pending.Writer.TryWrite((verdict, at)));
    }

    public async Task<(ProbeVerdict Verdict, int At)> NextAsync() =>
        await _pending.Reader.ReadAsync().AsTask().WaitAsync(Patience);
}

internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        using var giveUp = new CancellationTokenSource(VerdictLog.Patience);
        while (!condition())
        {
            if (giveUp.IsCancellationRequested) Assert.Fail($"Gave up waiting for {what}");
            await Task.Delay(20);
        }
    }
}
