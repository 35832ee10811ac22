namespace Baton.Hosting;

/// <summary>
/// An exclusive lock on <c>&lt;data-dir&gt;/lock</c>, held for the process's lifetime, so that a second
/// baton-agent (or `baton server`) given the same data dir (on other ports) refuses to start: an agent
/// instead of running recovery on the first one's instances (adopting, restarting or killing them), a
/// server instead of opening the same store and running a second deploy engine on it.
/// </summary>
/// <remarks>
/// On Linux, .NET opens a FileStream with <see cref="FileShare.None"/> and then takes
/// flock(LOCK_EX|LOCK_NB) on it: advisory, per open file, and dropped by the kernel when the process
/// dies however it dies (SIGKILL included), so a restarted process never finds a stale lock. The file
/// is opened close-on-exec, so the app instances the agent spawns (which outlive it on purpose) never
/// inherit the lock. The holder's pid is written into the file for operators (<c>cat</c>); a refused
/// process cannot read it back (reading takes flock(LOCK_SH), which the holder's lock refuses), so it
/// finds the holder through /proc instead. DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1 switches .NET's
/// flock off, and this lock with it: not to be set for the agent or the server.
/// <para>
/// One source, compiled into both baton-agent and baton (linked by their csproj files, which share
/// no project): each maps <see cref="DataDirInUseException"/> to its own message and exit code.
/// </para>
/// </remarks>
internal sealed class DataDirLock : IDisposable
{
    public const string FileName = "lock";

    private readonly FileStream _file;

    private DataDirLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of <paramref name="dataDir"/>, which must exist.</summary>
    /// <exception cref="DataDirInUseException">Another process holds it; nothing was written.</exception>
    public static DataDirLock Acquire(string dataDir)
    {
        var path = Path.Combine(Path.GetFullPath(dataDir), FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldElsewhere(e))
        {
            throw new DataDirInUseException(Path.GetDirectoryName(path)!, FindHolder(path));
        }
        WritePid(file);
        return new DataDirLock(file);
    }

    public void Dispose() => _file.Dispose();

    // .NET reports a refused flock as an IOException carrying EWOULDBLOCK; others (disk, permissions) are not "in use".
    private const int EWOULDBLOCK = 11;

    private static bool IsHeldElsewhere(IOException e) => e.HResult == EWOULDBLOCK;

    /// <summary>Best effort, for a person reading the file: the lock, not this content, is what excludes.</summary>
    private static void WritePid(FileStream file)
    {
        try
        {
            file.SetLength(0);
            file.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            file.Flush();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// The pid holding an exclusive flock on <paramref name="path"/>: among the flock writers listed in
    /// /proc/locks, the one with the file open. Null when it cannot be told (another user's process,
    /// no /proc); the message then goes without it.
    /// </summary>
    private static int? FindHolder(string path)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/locks"))
            {
                // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[1] != "FLOCK" || fields[3] != "WRITE") continue;
                if (!int.TryParse(fields[4], System.Globalization.CultureInfo.InvariantCulture, out var pid)) continue;
                if (HasOpen(pid, path)) return pid;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static bool HasOpen(int pid, string path)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget == path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
