using System.Runtime.InteropServices;

namespace Baton.Agent.Native;

/// <summary>
/// The libc calls the agent needs and .NET does not expose: spawning into a new session
/// with file actions (posix_spawn), signalling process groups, pidfds, FIFOs and epoll.
/// Linux (glibc ≥ 2.36) only; source-generated marshalling so the agent stays trimmable.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibName = "libc";

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ECHILD = 10;
    public const int ESRCH = 3;
    public const int EEXIST = 17;

    public const int O_RDONLY = 0x0000;
    public const int O_WRONLY = 0x0001;
    public const int O_RDWR = 0x0002;
    public const int O_NONBLOCK = 0x0800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_SETPIPE_SZ = 1031;

    public const int WNOHANG = 1;

    public const int SIGKILL = 9;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    // glibc x86_64: posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80, sigset_t 128.
    // Over-allocated so a different layout elsewhere cannot overrun the buffer.
    public const int SpawnAttrSize = 512;
    public const int FileActionsSize = 256;
    public const int SigSetSize = 128;

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(LibName)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(LibName)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(LibName)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(LibName)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(LibName)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(LibName)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(LibName)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(LibName)]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int oflag, uint mode);

    [LibraryImport(LibName)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, byte* path);

    [LibraryImport(LibName)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int from);

    [LibraryImport(LibName)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(LibName)]
    public static partial int sigfillset(void* set);

    [LibraryImport(LibName)]
    public static partial int sigdelset(void* set, int signal);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int mkfifo(byte* path, uint mode);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int access(byte* path, int mode);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(LibName, SetLastError = true)]
    public static partial nint getpwnam(byte* name);

    [LibraryImport(LibName)]
    public static partial int getuid();

    /// <summary>Returns free memory at the top of glibc's heaps (and unused arenas) to the kernel.</summary>
    [LibraryImport(LibName)]
    public static partial int malloc_trim(nuint pad);

    [LibraryImport(LibName)]
    public static partial long sysconf(int name);

    public const int X_OK = 1;
    public const int _SC_CLK_TCK = 2;
    public const int _SC_PAGESIZE = 30;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    /// <summary>struct epoll_event is packed on x86_64: 4-byte events then 8-byte data.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    public static bool WIFEXITED(int status) => (status & 0x7f) == 0;
    public static int WEXITSTATUS(int status) => (status >> 8) & 0xff;
    public static bool WIFSIGNALED(int status) => ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f;
    public static int WTERMSIG(int status) => status & 0x7f;

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> for passing to libc.</summary>
    public static byte[] Utf8z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    public static string LastErrorMessage() => Marshal.GetLastPInvokeErrorMessage();

    // ---- appended for agent/Logs: FIFO checks and file identity across renames

    public const int ENOENT = 2;
    public const int EBADF = 9;
    public const int F_GETPIPE_SZ = 1032;

    // struct stat starts with st_dev (8 bytes) then st_ino (8 bytes) on both x86_64 and the
    // generic layout aarch64 uses; the rest differs, so only st_ino is read, from an oversized buffer.
    public const int StatBufferSize = 256;
    public const int StatInoOffset = 8;

    [LibraryImport(LibName, SetLastError = true)]
    public static partial int stat(byte* path, byte* buf);
}
