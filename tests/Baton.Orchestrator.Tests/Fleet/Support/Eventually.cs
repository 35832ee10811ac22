namespace Baton.Orchestrator.Tests.Fleet.Support;

/// <summary>Waits for a condition on real processes; the deadline only stops a hang, it is not a performance claim.</summary>
internal static class Eventually
{
    public static async Task<T> MatchAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int timeoutSeconds = 60)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        var last = await read();
        while (!done(last))
        {
            if (DateTime.UtcNow > giveUp) throw new TimeoutException($"gave up waiting for {what}; last value: {last}");
            await Task.Delay(50);
            last = await read();
        }
        return last;
    }

    public static Task TrueAsync(Func<bool> condition, string what, int timeoutSeconds = 60) =>
        MatchAsync(() => Task.FromResult(condition()), ok => ok, what, timeoutSeconds);
}
