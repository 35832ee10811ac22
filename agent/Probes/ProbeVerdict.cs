namespace Baton.Agent.Probes;

/// <summary>
/// What the thresholds made of the checks so far: healthy or not, with the message of the
/// check that flipped it.
/// </summary>
public sealed record ProbeVerdict(bool Healthy, string Message);
