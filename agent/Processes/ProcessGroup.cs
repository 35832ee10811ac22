using System.Runtime.InteropServices;
using Baton.Agent.Native;

namespace Baton.Agent.Processes;

/// <summary>Signals an instance's process group (its session leader's pid is the group id).</summary>
internal static class ProcessGroup
{
    /// <returns>False when no process of the group is left.</returns>
    public static bool Signal(int groupId, int signal)
    {
        if (groupId <= 1) throw new ArgumentOutOfRangeException(nameof(groupId), groupId, "refusing to signal group <= 1");
        if (Libc.kill(-groupId, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ESRCH) return false;
        throw new InvalidOperationException($"kill(-{groupId}, {signal}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    public static void Kill(int groupId) => Signal(groupId, Libc.SIGKILL);
}
