namespace Baton.Orchestrator.Store;

/// <summary>One instance that should run: on which agent, under which id. The id is chosen once and kept, so a retried launch is the same launch.</summary>
public sealed record DesiredInstance(string Agent, string InstanceId);
