namespace Baton.Bench.Agent;

/// <summary>What one benchmark run does; the defaults are issue 2's.</summary>
internal sealed record BenchSettings
{
    public int Instances { get; init; } = 100;
    /// <summary>Readiness check interval, the same for the agent's TCP probe and the PM2 and bare-spawn pollers.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Pause before an RSS reading, so start-up or launch work has settled.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(3);
    public string BatonPortRange { get; init; } = "20000-20999";
    public int Pm2FirstPort { get; init; } = 21000;
    public int BareFirstPort { get; init; } = 22000;
}
