namespace Baton.Orchestrator.Deploys;

/// <summary>A condition that fails the deploy into a rollback; the message becomes the deploy's reason.</summary>
public sealed class DeployFailedException(string reason) : Exception(reason);
