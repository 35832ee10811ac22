using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Deploys;

public static class DeployPhases
{
    public static bool IsFinished(DeployPhase phase) => phase is DeployPhase.Succeeded or DeployPhase.RolledBack;

    public static bool IsFailing(DeployPhase phase) => phase is DeployPhase.Failing or DeployPhase.RollingBack or DeployPhase.RolledBack;

    /// <summary>"shifting", "rolling_back": the contract's enum name as people read it.</summary>
    public static string Name(DeployPhase phase) => phase switch
    {
        DeployPhase.RollingBack => "rolling back",
        DeployPhase.RolledBack => "rolled back",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
