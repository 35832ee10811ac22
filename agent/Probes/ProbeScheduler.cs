using Baton.Agent.Instances;
using Baton.Protos.Agent.V1;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Probes;

/// <summary>Starts a <see cref="ProbeRunner"/> per instance probe, all sharing one HTTP client.</summary>
internal sealed class ProbeScheduler(ProbeCheckFactory checks, TimeProvider time, ILogger<ProbeRunner> logger) : IProbeScheduler
{
    public IAsyncDisposable Start(Probe probe, int instancePort, Action<bool, string> onVerdictChanged) =>
        ProbeRunner.Start(probe, instancePort, checks, verdict => onVerdictChanged(verdict.Healthy, verdict.Message), time, logger);
}
