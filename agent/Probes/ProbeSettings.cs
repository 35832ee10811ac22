namespace Baton.Agent.Probes;

/// <summary>
/// A probe's timing with every default applied, in the units the runner works in.
/// Built by <see cref="ProbeDefaults.Normalize"/>; the wire message keeps zeros for "default".
/// </summary>
public sealed record ProbeSettings(
    TimeSpan InitialDelay,
    TimeSpan Interval,
    TimeSpan Timeout,
    int SuccessThreshold,
    int FailureThreshold);
