namespace Baton.Orchestrator.Store;

/// <summary>
/// One instance that should run: on which agent, under which id. The id is chosen once and kept,
/// so a retried launch is the same launch.
/// </summary>
/// <param name="Host">Where it was last seen ready (empty if never): lets a restarted orchestrator serve the same endpoints before every agent has answered.</param>
/// <param name="Port">Its port when last seen ready; 0 if never.</param>
public sealed record DesiredInstance(string Agent, string InstanceId, string Host = "", uint Port = 0);
