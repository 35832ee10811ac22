namespace Baton.Agent.Processes;

/// <summary>A process as the state file remembers it: pid plus start time, so a reused pid never matches.</summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTimeTicks)
{
    public static ProcessIdentity? Of(int pid) =>
        ProcStat.Read(pid) is { } stat ? new ProcessIdentity(pid, stat.StartTimeTicks) : null;

    /// <summary>True when this very process still runs (not exited, not a zombie, pid not reused).</summary>
    public bool IsAlive() =>
        ProcStat.Read(Pid) is { } stat && stat.StartTimeTicks == StartTimeTicks && !stat.IsZombie;
}
