namespace Baton.Hosting;

/// <summary>
/// Another process (another baton-agent or `baton server`, by all odds) holds the lock of the data
/// dir (<see cref="DataDirLock"/>). Neutral: each program words it with <see cref="Describe"/> and
/// ends with its own exit code (75, sysexits.h's EX_TEMPFAIL, in both).
/// </summary>
internal sealed class DataDirInUseException(string dataDir, int? holderPid)
    : Exception($"the data dir {dataDir} is in use by another process{PidSuffix(holderPid)}")
{
    public string DataDir { get; } = dataDir;

    /// <summary>The holder's pid, when /proc could tell it.</summary>
    public int? HolderPid { get; } = holderPid;

    /// <summary>
    /// The one line for the operator, e.g. "the data dir /var/lib/baton is in use by another
    /// baton-agent (pid 1234)" for <paramref name="holder"/> "baton-agent".
    /// </summary>
    public string Describe(string holder) => $"the data dir {DataDir} is in use by another {holder}{PidSuffix(HolderPid)}";

    private static string PidSuffix(int? pid) => pid is { } p ? $" (pid {p})" : "";
}
