using System.Runtime.InteropServices;

namespace Baton.Demo;

/// <summary>The two POSIX calls .NET has no API for: a signal other than SIGKILL, and a signal to a whole process group.</summary>
internal static class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to one process; false when it is already gone.</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && kill(pid, signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to every process of the group led by <paramref name="groupLeader"/>.</summary>
    public static bool SignalGroup(int groupLeader, int signal) => groupLeader > 1 && kill(-groupLeader, signal) == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
