using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Baton.Bench.Agent;

/// <summary>
/// The baseline: posix_spawn of the same command (node app.js, PORT set, in its own session,
/// output to /dev/null) straight from this process, with no supervisor in between. Issue 2's
/// target compares the agent's launch→running with this.
/// </summary>
internal static partial class BareSpawn
{
    private const short PosixSpawnSetsid = 0x80;
    private const int ORdWr = 0x0002;
    // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80; room to spare.
    private const int SpawnAttrSize = 512;
    private const int FileActionsSize = 256;

    public sealed record Result(List<double> SpawnMs, List<double> SpawnToListeningMs);

    /// <summary>
    /// Spawns <paramref name="count"/> copies one after another; each is timed to posix_spawn's
    /// return (the pid) and to its port accepting a TCP connect (polled every <paramref name="pollInterval"/>),
    /// then stopped with SIGTERM and reaped before the next, so they never compete for the CPU.
    /// </summary>
    public static async Task<Result> RunAsync(string node, string appDir, int count, Func<int> nextPort, TimeSpan pollInterval, CancellationToken cancel)
    {
        var result = new Result([], []);
        for (var i = 0; i < count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var port = nextPort();
            var started = Stopwatch.GetTimestamp();
            var pid = Spawn(node, ["app.js"], appDir, [$"PORT={port}", $"PATH={Environment.GetEnvironmentVariable("PATH")}"]);
            result.SpawnMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            try
            {
                while (!await TcpOpenAsync(port, cancel)) await Task.Delay(pollInterval, cancel);
                result.SpawnToListeningMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            finally
            {
                ProcFs.SignalGroup(pid, ProcFs.SigTerm);
                if (!await WaitExitAsync(pid, TimeSpan.FromSeconds(5))) ProcFs.SignalGroup(pid, ProcFs.SigKill);
                _ = waitpid(pid, 0, 0);
            }
        }
        return result;
    }

    public static async Task<bool> TcpOpenAsync(int port, CancellationToken cancel)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitExitAsync(int pid, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // WNOHANG: reaps it if it has exited, so a zombie does not look alive.
            if (waitpid(pid, 0, 1) == pid || !ProcFs.IsAlive(pid)) return true;
            await Task.Delay(5);
        }
        return false;
    }

    private static unsafe int Spawn(string executable, string[] args, string workingDirectory, string[] environment)
    {
        var strings = new List<nint>();
        byte* Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return (byte*)p;
        }
        var argv = stackalloc byte*[args.Length + 2];
        var envp = stackalloc byte*[environment.Length + 1];
        var attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        var actions = NativeMemory.AllocZeroed(FileActionsSize);
        try
        {
            argv[0] = Utf8(executable);
            for (var i = 0; i < args.Length; i++) argv[i + 1] = Utf8(args[i]);
            argv[args.Length + 1] = null;
            for (var i = 0; i < environment.Length; i++) envp[i] = Utf8(environment[i]);
            envp[environment.Length] = null;

            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(posix_spawnattr_setflags(attr, PosixSpawnSetsid), "posix_spawnattr_setflags");
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(posix_spawn_file_actions_addopen(actions, 1, Utf8("/dev/null"), ORdWr, 0), "addopen stdout");
            Check(posix_spawn_file_actions_addopen(actions, 2, Utf8("/dev/null"), ORdWr, 0), "addopen stderr");
            Check(posix_spawn_file_actions_addchdir_np(actions, Utf8(workingDirectory)), "addchdir");
            Check(posix_spawn(out var pid, argv[0], actions, attr, argv, envp), "posix_spawn");
            return pid;
        }
        finally
        {
            _ = posix_spawn_file_actions_destroy(actions);
            _ = posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"{what} failed: {Marshal.GetPInvokeErrorMessage(rc)}");
    }

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc")]
    private static unsafe partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, nint status, int options);
}
