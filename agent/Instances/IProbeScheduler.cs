using Baton.Protos.Agent.V1;

namespace Baton.Agent.Instances;

/// <summary>Starts a probe loop for an instance; the callback fires only when the verdict changes.</summary>
internal interface IProbeScheduler
{
    IAsyncDisposable Start(Probe probe, int instancePort, Action<bool, string> onVerdictChanged);
}
