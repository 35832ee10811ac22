using System.Globalization;

namespace Baton.Agent.Processes;

/// <summary>
/// One reading of /proc/&lt;pid&gt;/stat. The start time (clock ticks since boot) together with
/// the pid identifies a process for good: a recycled pid has a different start time.
/// </summary>
internal readonly record struct ProcStat(int Pid, char State, int ProcessGroup, int Session, ulong CpuTicks, ulong StartTimeTicks, long RssPages)
{
    public bool IsZombie => State is 'Z' or 'X';

    public static ProcStat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null; // the process is gone; the caller treats null as "not running"
        }
        return Parse(pid, text);
    }

    /// <summary>Parses the stat line; the command name may contain spaces and ')' so fields are counted after the last ')'.</summary>
    public static ProcStat? Parse(int pid, string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var f = text[(close + 2)..].Split(' ');
        if (f.Length < 22) return null;
        // f[0] is field 3 (state) of proc(5); field N is f[N - 3].
        return new ProcStat(
            pid,
            f[0][0],
            int.Parse(f[2], CultureInfo.InvariantCulture),
            int.Parse(f[3], CultureInfo.InvariantCulture),
            ulong.Parse(f[11], CultureInfo.InvariantCulture) + ulong.Parse(f[12], CultureInfo.InvariantCulture),
            ulong.Parse(f[19], CultureInfo.InvariantCulture),
            long.Parse(f[21], CultureInfo.InvariantCulture));
    }
}
