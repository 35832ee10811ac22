using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>The strategy's deadlines with zero meaning "the default".</summary>
public sealed record DeployTimings(
    TimeSpan AckTimeout,
    TimeSpan ReadyDeadline,
    TimeSpan ProgressDeadline,
    TimeSpan DrainTimeout,
    TimeSpan RollbackWindow,
    TimeSpan AnalysisWindow,
    double MaxErrorRate,
    uint MinRequests)
{
    public static DeployTimings From(StrategySpec? strategy)
    {
        var s = strategy ?? new StrategySpec();
        var a = s.Analysis ?? new AnalysisSpec { MaxErrorRate = 1.0 }; // no analysis block: no error-rate limit
        return new DeployTimings(
            Ms(s.AckTimeoutMs, 10_000),
            Ms(s.ReadyDeadlineMs, 60_000),
            Ms(s.ProgressDeadlineMs, 600_000),
            Ms(s.DrainTimeoutMs, 30_000),
            TimeSpan.FromMilliseconds(s.RollbackWindowMs),
            Ms(a.WindowMs, 10_000),
            a.MaxErrorRate, // 0 means any error fails: the spec requires the field when analysis is given
            a.MinRequests);
    }

    private static TimeSpan Ms(uint value, uint fallback) => TimeSpan.FromMilliseconds(value == 0 ? fallback : value);
}
