using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>The deploy as stored (with the store's timestamps) and the desired state written with it, if any.</summary>
public sealed record DeployWriteResult(Deploy Deploy, DesiredState? Desired);
