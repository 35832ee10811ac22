using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>
/// CPU time a process has used (user + system), from /proc/PID/stat. On a shared 2-core machine the
/// proxy's CPU per request is a steadier measure of its own cost than latency, which also holds
/// every wait for a core.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public static TimeSpan Used(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: the fields after it start after its closing ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name (0-based 11, 12).
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
