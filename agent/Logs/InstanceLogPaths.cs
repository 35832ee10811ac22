namespace Baton.Agent.Logs;

/// <summary>
/// The FIFOs the launcher opens (O_RDWR) as the child's fd 1 and 2. Opening them read-write
/// keeps the child a reader of its own pipe, so it never gets SIGPIPE while no agent runs.
/// </summary>
internal sealed record InstanceLogPaths(string StdoutPipe, string StderrPipe);
