namespace Baton.Agent.Releases;

/// <summary>
/// Tells the release store which releases are in use, so that neither removal nor retention
/// pulls files out from under a running process.
/// </summary>
/// <remarks>
/// Called while the store holds its commit lock: an implementation must not call back into
/// <see cref="ReleaseStore.Remove"/>, <see cref="ReleaseStore.ApplyRetention"/> or
/// <see cref="ReleaseStore.ReceiveAsync"/> from inside this method.
/// </remarks>
public interface IReleaseUsage
{
    /// <summary>Instances of the release that are not stopped, including ones still starting.</summary>
    int RunningInstances(string app, string version);
}
