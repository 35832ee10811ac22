namespace Baton.Bench.Http;

/// <summary>A memory figure of one process of a side (the supervisor, the proxy, the control plane).</summary>
internal sealed record RssFigure(string Process, long Bytes);

/// <summary>
/// One side's run of one scenario. Times are on hey's clock (ms since hey started sending): the
/// switch window is from the switch command's start to its end.
/// </summary>
internal sealed record SwitchResult(
    string Side,
    SwitchScenario Scenario,
    LoadRun Load,
    double SwitchStartMs,
    double SwitchEndMs,
    double LoadEndMs,
    CommandResult Switch,
    string ServingAfter,
    IReadOnlyList<RssFigure> Rss)
{
    public double SwitchMs => SwitchEndMs - SwitchStartMs;

    public IReadOnlyList<AnsweredRequest> DuringSwitch => Load.StartedBetween(SwitchStartMs, SwitchEndMs);

    public double P99DuringSwitchMs => LoadRun.Percentile(DuringSwitch, 99);

    /// <summary>Whether the switch ended before hey did (else the window is cut short at the load's end).</summary>
    public bool SwitchInsideLoad => SwitchEndMs <= LoadEndMs;
}
