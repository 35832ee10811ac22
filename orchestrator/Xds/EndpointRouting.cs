namespace Baton.Orchestrator.Xds;

/// <summary>Whether an instance takes new work or only finishes what it has.</summary>
public enum EndpointHealth
{
    Healthy,
    Draining,
}

/// <summary>One ready instance of a release.</summary>
public sealed record EndpointRouting(string Host, int Port, EndpointHealth Health);
