using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Deploys;

/// <summary>Everything a deploy runner works with, in one object so constructors stay short.</summary>
public sealed record DeployServices(
    IDeployRepository Repository,
    IFleetOperations Fleet,
    IXdsPublisher Publisher,
    ILoadReports Loads,
    LiveInstanceCache Instances,
    Func<AppSpec, string, string, Protos.Agent.V1.InstanceSpec> InstanceSpecs,
    DeployNotifier Notifier,
    TimeProvider Time,
    ILogger Logger)
{
    /// <summary>How often a waiting phase looks again at instances, loads and requests.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}
