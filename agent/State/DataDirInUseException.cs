namespace Baton.Agent.State;

/// <summary>
/// Another process (another baton-agent, by all odds) holds the lock of the data dir. The message is
/// the one line for the operator; nothing has been adopted, restarted or killed.
/// </summary>
public sealed class DataDirInUseException(string dataDir, int? holderPid)
    : Exception($"the data dir {dataDir} is in use by another baton-agent{(holderPid is { } pid ? $" (pid {pid})" : "")}")
{
    /// <summary>
    /// sysexits.h's EX_TEMPFAIL: the resource is busy, and the same start succeeds once its holder has
    /// stopped. Distinct from a port that cannot bind (71), so a supervisor or a person can tell them apart.
    /// </summary>
    public const int ExitCode = 75;

    public int? HolderPid { get; } = holderPid;
}
