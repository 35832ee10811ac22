using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Store;

/// <summary>Which deploy phases are final, and their names as users read them.</summary>
public static class DeployPhases
{
    /// <summary>Succeeded or rolled back: nothing more happens to the deploy, and the app is free for the next one.</summary>
    public static bool IsFinished(DeployPhase phase) => phase is DeployPhase.Succeeded or DeployPhase.RolledBack;

    /// <summary>DEPLOY_PHASE_ROLLING_BACK → "rolling_back".</summary>
    public static string Name(DeployPhase phase) => phase switch
    {
        DeployPhase.Unspecified => "unspecified",
        DeployPhase.Pending => "pending",
        DeployPhase.Distributing => "distributing",
        DeployPhase.Starting => "starting",
        DeployPhase.Shifting => "shifting",
        DeployPhase.Paused => "paused",
        DeployPhase.Draining => "draining",
        DeployPhase.Retiring => "retiring",
        DeployPhase.Succeeded => "succeeded",
        DeployPhase.Failing => "failing",
        DeployPhase.RollingBack => "rolling_back",
        DeployPhase.RolledBack => "rolled_back",
        _ => ((int)phase).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
