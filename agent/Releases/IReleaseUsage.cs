namespace Baton.Agent.Releases;

/// <summary>Tells the release store which releases still have instances, so it never deletes those.</summary>
public interface IReleaseUsage
{
    int RunningInstances(string app, string version);
}
