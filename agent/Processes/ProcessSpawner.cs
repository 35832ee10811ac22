using System.Runtime.InteropServices;
using Baton.Agent.Native;

namespace Baton.Agent.Processes;

/// <summary>
/// Starts a process with posix_spawn: in a new session (so its whole tree is one process group
/// that a stop can reach), with default signal dispositions and an empty mask (the runtime
/// ignores SIGPIPE, which a child must not inherit), stdin from /dev/null, stdout/stderr opened
/// on the instance's log FIFOs, and every other descriptor closed so no agent socket leaks
/// into the app (which would keep the agent's port busy across an agent restart).
/// </summary>
internal static unsafe class ProcessSpawner
{
    /// <returns>The pid of the new process.</returns>
    /// <exception cref="SpawnException">The exec or one of its file actions failed.</exception>
    public static int Spawn(SpawnRequest request)
    {
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }

        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(request.Arguments.Count + 2), (nuint)sizeof(byte*));
        var envp = (byte**)NativeMemory.AllocZeroed((nuint)(request.Environment.Count + 1), (nuint)sizeof(byte*));
        var attr = NativeMemory.AllocZeroed(Libc.SpawnAttrSize);
        var actions = NativeMemory.AllocZeroed(Libc.FileActionsSize);
        var allSignals = NativeMemory.AllocZeroed(Libc.SigSetSize);
        var noSignals = NativeMemory.AllocZeroed(Libc.SigSetSize);
        try
        {
            argv[0] = (byte*)Utf8(request.Executable);
            for (var i = 0; i < request.Arguments.Count; i++) argv[i + 1] = (byte*)Utf8(request.Arguments[i]);
            var e = 0;
            foreach (var (key, value) in request.Environment) envp[e++] = (byte*)Utf8($"{key}={value}");

            Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(Libc.sigfillset(allSignals), "sigfillset");
            Check(Libc.sigemptyset(noSignals), "sigemptyset");
            Check(Libc.posix_spawnattr_setsigdefault(attr, allSignals), "posix_spawnattr_setsigdefault");
            Check(Libc.posix_spawnattr_setsigmask(attr, noSignals), "posix_spawnattr_setsigmask");
            Check(Libc.posix_spawnattr_setflags(attr, (short)(Libc.POSIX_SPAWN_SETSID | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK)), "posix_spawnattr_setflags");

            Check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            Check(Libc.posix_spawn_file_actions_addopen(actions, 0, (byte*)Utf8("/dev/null"), Libc.O_RDONLY, 0), "addopen stdin");
            // O_RDWR on the FIFO: the child then counts as a reader itself, so it never gets
            // SIGPIPE while the agent is down; output waits in the pipe for the next agent.
            Check(Libc.posix_spawn_file_actions_addopen(actions, 1, (byte*)Utf8(request.StdoutPath), Libc.O_RDWR, 0), "addopen stdout");
            Check(Libc.posix_spawn_file_actions_addopen(actions, 2, (byte*)Utf8(request.StderrPath), Libc.O_RDWR, 0), "addopen stderr");
            Check(Libc.posix_spawn_file_actions_addchdir_np(actions, (byte*)Utf8(request.WorkingDirectory)), "addchdir");
            Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, 3), "addclosefrom");

            var rc = Libc.posix_spawn(out var pid, argv[0], actions, attr, argv, envp);
            if (rc != 0)
                throw new SpawnException(rc, $"cannot start {request.Executable}: {Marshal.GetPInvokeErrorMessage(rc)}");
            return pid;
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(actions);
            Libc.posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(allSignals);
            NativeMemory.Free(noSignals);
            NativeMemory.Free(argv);
            NativeMemory.Free(envp);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new SpawnException(rc, $"{what} failed: {Marshal.GetPInvokeErrorMessage(rc)}");
    }
}
