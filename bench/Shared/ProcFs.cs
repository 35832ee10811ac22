using System.Runtime.InteropServices;

namespace Baton.Bench.Shared;

/// <summary>What the benchmark reads from /proc and the few signals it sends.</summary>
internal static partial class ProcFs
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>VmRSS of <paramref name="pid"/> in bytes (resident set: what the process costs in RAM now).</summary>
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
            return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"no VmRSS for pid {pid}");
    }

    /// <summary>Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux).</summary>
    private const double ClockTicksPerSecond = 100;

    /// <summary>
    /// CPU time <paramref name="pid"/> has used (user + system, 10 ms resolution). On a shared 2-core
    /// machine a process's CPU per unit of work is a steadier measure of its cost than latency, which
    /// also holds every wait for a core.
    /// </summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: the fields after it start after its closing ')'.
        // utime and stime are fields 14 and 15 of the whole line, 0-based 11 and 12 after the name.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
            + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
    }

    /// <summary>
    /// Live session leaders whose environment holds <paramref name="marker"/> (e.g. the agent's
    /// BATON_AGENT_DATA_DIR=...): the processes a supervisor started for this run, whoever reaped them.
    /// </summary>
    public static IReadOnlyList<int> SessionLeadersWithEnvironment(string marker)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" || fields[3] != pid.ToString(System.Globalization.CultureInfo.InvariantCulture)) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(marker)) pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or not ours to read: not one of ours.
            }
        }
        return pids;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process group led by <paramref name="pgid"/>; a gone group is not an error.</summary>
    public static void SignalGroup(int pgid, int signal)
    {
        if (pgid > 1) _ = kill(-pgid, signal);
    }

    public static void Signal(int pid, int signal)
    {
        if (pid > 1) _ = kill(pid, signal);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
