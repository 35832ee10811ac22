namespace Baton.Proxy.Tests.Support;

/// <summary>Bounded polling: asynchronous effects are awaited with a generous deadline, never timed.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"still waiting after {Deadline.TotalSeconds} s for: {what}");
            }
            await Task.Delay(20);
        }
    }
}
