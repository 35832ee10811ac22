namespace Baton.Agent.Probes;

/// <summary>
/// One way of asking an instance whether it is fine. Implementations report failures as an
/// unhealthy <see cref="ProbeOutcome"/> rather than throwing, and honour <c>ct</c> promptly:
/// the runner cancels it on timeout and on shutdown. A check that is also
/// <see cref="IDisposable"/> is disposed by the <see cref="ProbeRunner"/> that owns it.
/// </summary>
internal interface IProbeCheck
{
    Task<ProbeOutcome> CheckAsync(CancellationToken ct);
}
