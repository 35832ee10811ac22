using Baton.Agent.Configuration;
using Baton.Agent.Events;
using Baton.Agent.Processes;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Instances;

/// <summary>The agent-wide services every instance supervisor uses; one object so constructors stay short.</summary>
internal sealed record InstanceServices(
    AgentOptions Options,
    ILogPipes Logs,
    IProbeScheduler Probes,
    ProcessWatcher Watcher,
    EventHub Events,
    IInstanceObserver Observer,
    TimeProvider Time,
    ILogger Logger);

/// <summary>Hooks the supervisor calls so the manager can persist state and keep metrics current.</summary>
internal interface IInstanceObserver
{
    /// <summary>Something the state file records changed; persist soon.</summary>
    void StateChanged(Instance instance);

    void Spawned(Instance instance, TimeSpan latency);

    void Restarted(Instance instance);

    void ProbeFailed(Instance instance, string probe);
}
