namespace Baton.Agent.Processes;

/// <summary>Everything posix_spawn needs for one instance process. No shell is ever involved.</summary>
internal sealed record SpawnRequest(
    string Executable,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    string StdoutPath,
    string StderrPath);
