namespace Baton.Agent.Instances;

/// <summary>A validated spec with everything resolved that can be resolved before spawning.</summary>
internal sealed record LaunchPlan(
    string Executable,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    string ReleaseDirectory,
    Processes.UserAccount? RunAs);
