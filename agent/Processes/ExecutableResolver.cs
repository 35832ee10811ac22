using Baton.Agent.Native;
using Grpc.Core;

namespace Baton.Agent.Processes;

/// <summary>
/// Finds the file a command names, the way the contract defines it: an absolute path as is,
/// a path with a '/' relative to the release folder (and not escaping it), a bare name on PATH.
/// Resolved up front so "unknown executable" is a precise error before anything is started.
/// </summary>
internal static unsafe class ExecutableResolver
{
    public static string Resolve(string command, string releaseDir, string? searchPath)
    {
        if (string.IsNullOrWhiteSpace(command))
            throw Invalid("command is empty");
        if (command.Contains('\0')) throw Invalid("command contains a NUL character");

        if (Path.IsPathRooted(command))
            return RequireExecutable(command, command);

        if (command.Contains('/'))
        {
            var full = Path.GetFullPath(Path.Combine(releaseDir, command));
            if (!IsInside(full, releaseDir))
                throw Invalid($"command \"{command}\" points outside the release folder");
            return RequireExecutable(full, command);
        }

        foreach (var dir in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, command);
            if (IsExecutableFile(candidate)) return candidate;
        }
        throw Invalid($"executable \"{command}\" not found on PATH");
    }

    public static bool IsInside(string path, string folder)
    {
        var root = Path.GetFullPath(folder).TrimEnd('/') + "/";
        var full = Path.GetFullPath(path);
        return full == root.TrimEnd('/') || full.StartsWith(root, StringComparison.Ordinal);
    }

    private static string RequireExecutable(string path, string asGiven)
    {
        if (!File.Exists(path)) throw Invalid($"executable \"{asGiven}\" does not exist");
        if (!IsExecutableFile(path)) throw Invalid($"\"{asGiven}\" is not executable");
        return path;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        var bytes = Libc.Utf8z(path);
        fixed (byte* p = bytes) return Libc.access(p, Libc.X_OK) == 0;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
