using System.Runtime.InteropServices;
using Baton.Agent.Native;

namespace Baton.Agent.Processes;

/// <summary>A local account looked up with getpwnam, for run-as-user instances.</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, string Home)
{
    public static unsafe UserAccount? Find(string name)
    {
        var bytes = Libc.Utf8z(name);
        nint entry;
        fixed (byte* p = bytes) entry = Libc.getpwnam(p);
        if (entry == 0) return null;
        // struct passwd: char *pw_name, *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos, *pw_dir, *pw_shell
        var uid = (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        var gid = (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size + 4);
        var home = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry, 2 * IntPtr.Size + 8 + IntPtr.Size)) ?? "/";
        return new UserAccount(name, uid, gid, home);
    }
}
