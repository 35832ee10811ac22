using System.Globalization;
using System.Runtime.InteropServices;
using Baton.Agent.Native;

namespace Baton.Agent.Logs;

/// <summary>
/// The sidecar (e.g. stdout.start) saying at which history offset the current log file starts.
/// It names the file by inode rather than by path: a rotation renames files, and if the agent
/// dies half-way the inode still tells which file the recorded offset belongs to.
/// </summary>
internal readonly record struct LogStartRecord(ulong Inode, long Start)
{
    public static LogStartRecord? TryRead(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return new LogStartRecord(inode, start);
        }
        throw new InvalidDataException($"{path} is not '<inode> <start offset>': \"{text.Trim()}\"");
    }

    /// <summary>Replaces the sidecar with one rename, so a reader (or a restarted agent) sees the old or the new record, never half of one.</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{Inode} {Start}\n"));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The inode of <paramref name="path"/>, or null when it does not exist.</summary>
    public static unsafe ulong? InodeOf(string path)
    {
        var buffer = stackalloc byte[Libc.StatBufferSize];
        fixed (byte* p = Libc.Utf8z(path))
        {
            if (Libc.stat(p, buffer) == 0) return *(ulong*)(buffer + Libc.StatInoOffset);
        }
        if (Marshal.GetLastPInvokeError() == Libc.ENOENT) return null;
        throw new IOException($"stat {path} failed: {Libc.LastErrorMessage()}");
    }
}
