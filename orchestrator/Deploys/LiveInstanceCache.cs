using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Deploys;

/// <summary>
/// The last known state of every instance of an app, refreshed from the agents. An agent that
/// cannot be reached keeps its last known instances: an agent process dying does not take its
/// instances with it, so routing must not drop them for that alone.
/// </summary>
public sealed class LiveInstanceCache(IFleetOperations fleet, ILogger<LiveInstanceCache> logger)
{
    private readonly ConcurrentDictionary<(string App, string Agent), IReadOnlyDictionary<string, LiveInstance>> _known = new();

    public async Task<IReadOnlyDictionary<string, LiveInstance>> RefreshAsync(string app, IEnumerable<string> agents, CancellationToken ct)
    {
        var byAgent = fleet.Agents.ToDictionary(a => a.Name);
        await Task.WhenAll(agents.Distinct().Select(async agent =>
        {
            if (!byAgent.TryGetValue(agent, out var info)) return;
            try
            {
                var list = await fleet.ListInstancesAsync(agent, app, ct);
                _known[(app, agent)] = list.ToDictionary(
                    i => i.Spec.InstanceId,
                    i => new LiveInstance(agent, info.Host, i.Port, i.State, i.Message, i.Restarts));
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                logger.LogDebug("Agent {Agent} unreachable ({Error}); keeping its last known instances of {App}", agent, e.Status.Detail, app);
            }
        }));
        return Snapshot(app);
    }

    /// <summary>
    /// Before the agents have answered (orchestrator just started), the instances the desired
    /// state last saw ready count as ready where they were, so routing continues unchanged.
    /// </summary>
    public void Seed(Protos.Orchestrator.V1.DesiredAppState desired)
    {
        foreach (var byAgent in desired.Releases.SelectMany(r => r.Instances).Where(i => i.Port != 0).GroupBy(i => i.Agent))
        {
            _known.TryAdd((desired.App, byAgent.Key), byAgent.ToDictionary(
                i => i.InstanceId,
                i => new LiveInstance(i.Agent, i.Host, i.Port, Protos.Agent.V1.InstanceState.Ready, "as last seen before the orchestrator restarted", 0)));
        }
    }

    public IReadOnlyDictionary<string, LiveInstance> Snapshot(string app)
    {
        var all = new Dictionary<string, LiveInstance>(StringComparer.Ordinal);
        foreach (var ((a, _), instances) in _known)
            if (a == app)
                foreach (var (id, live) in instances) all[id] = live;
        return all;
    }
}
