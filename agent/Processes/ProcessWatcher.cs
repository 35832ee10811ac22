using System.Runtime.InteropServices;
using Baton.Agent.Native;
using Baton.Protos.Agent.V1;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Processes;

/// <summary>
/// Tells when a process exits, through a pidfd on the shared epoll loop: works for the agent's
/// own children (then reaped with waitpid, giving the exit status) and for processes adopted
/// after an agent restart (not our children: the kernel tells only that they ended).
/// Whatever the process left in its group (workers, helpers) is killed with it, so an instance
/// never leaves orphans; for our own children this happens while the leader is still a zombie,
/// so its pid, and thus the group id, cannot have been reused yet.
/// </summary>
internal sealed class ProcessWatcher(EpollLoop loop, ILogger<ProcessWatcher> logger)
{
    /// <summary>Completes once the process has exited.</summary>
    public Task<ExitStatus> WatchAsync(int pid, bool isOwnChild)
    {
        var exited = new TaskCompletionSource<ExitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pidfd = Libc.pidfd_open(pid, 0);
        if (pidfd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.ESRCH)
                throw new InvalidOperationException($"pidfd_open({pid}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            exited.SetResult(Finish(pid, isOwnChild));
            return exited.Task;
        }

        loop.Register(pidfd, _ =>
        {
            loop.Unregister(pidfd);
            Libc.close(pidfd);
            exited.TrySetResult(Finish(pid, isOwnChild));
        });
        return exited.Task;
    }

    private ExitStatus Finish(int pid, bool isOwnChild)
    {
        try
        {
            ProcessGroup.Kill(pid);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("Killing what is left of process group {Pid} failed: {Error}", pid, e.Message);
        }
        return isOwnChild ? Reap(pid) : ExitStatusDecoder.Unknown();
    }

    private ExitStatus Reap(int pid)
    {
        while (true)
        {
            var rc = Libc.waitpid(pid, out var status, 0);
            if (rc == pid) return ExitStatusDecoder.FromWaitStatus(status);
            var errno = Marshal.GetLastPInvokeError();
            if (rc < 0 && errno == Libc.EINTR) continue;
            logger.LogWarning("waitpid({Pid}) failed: {Error}; exit status unknown", pid, Marshal.GetPInvokeErrorMessage(errno));
            return ExitStatusDecoder.Unknown();
        }
    }
}
