namespace Baton.Proxy.Tests.Support;

/// <summary>Bounded polling for asynchronous effects: awaited with a generous guard, never timed.</summary>
internal static class Eventually
{
    /// <summary>Not a timing assertion: only a guard so a broken build fails instead of hanging.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            if (guard.IsCancellationRequested)
            {
                Assert.Fail($"never became true: {what}");
            }
            await Task.Delay(10);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!await condition())
        {
            if (guard.IsCancellationRequested)
            {
                Assert.Fail($"never became true: {what}");
            }
            await Task.Delay(10);
        }
    }
}
