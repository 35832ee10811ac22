namespace Baton.Agent.Releases;

/// <summary>
/// The rules that keep a tar entry inside the release folder. Pure string rules, applied before
/// anything touches the disk, so a hostile name is refused without having to undo anything.
/// </summary>
internal static class ArchiveEntryPath
{
    /// <summary>
    /// The entry's path relative to the release folder, '/'-separated with no empty or "." parts;
    /// the empty string for the folder itself ("./" in archives made with <c>tar -C dir .</c>).
    /// Returns null with <paramref name="problem"/> set when the name could land outside the folder.
    /// </summary>
    public static string? Normalize(string name, out string? problem)
    {
        if (name.Contains('\0'))
        {
            problem = "contains a NUL character";
            return null;
        }
        if (name.StartsWith('/'))
        {
            problem = "is an absolute path";
            return null;
        }

        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                problem = "has a '..' component";
                return null;
            }
            parts.Add(part);
        }
        problem = null;
        return string.Join('/', parts);
    }

    /// <summary>
    /// Whether a symbolic link at <paramref name="linkPath"/> (normalized) pointing at
    /// <paramref name="target"/> resolves inside the release folder. Only leading ".." parts are
    /// allowed: a ".." after a named part would climb out of whatever that part resolves to,
    /// which may itself be a link to a shallower place ("s/s/.." with s → "."), so it cannot be
    /// judged from the names alone.
    /// </summary>
    public static bool IsSafeLinkTarget(string linkPath, string target, out string? problem)
    {
        if (target.Length == 0)
        {
            problem = "is a symbolic link with an empty target";
            return false;
        }
        if (target.Contains('\0'))
        {
            problem = "is a symbolic link whose target contains a NUL character";
            return false;
        }
        if (target.StartsWith('/'))
        {
            problem = $"is a symbolic link to the absolute path {ReleaseErrors.Quote(target)}";
            return false;
        }

        var climbs = 0;
        var descended = false;
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part != "..")
            {
                descended = true;
                continue;
            }
            if (descended)
            {
                problem = $"is a symbolic link to {ReleaseErrors.Quote(target)}, which climbs ('..') after descending into a folder";
                return false;
            }
            climbs++;
        }

        var linkFolderDepth = linkPath.Count(c => c == '/');
        if (climbs > linkFolderDepth)
        {
            problem = $"is a symbolic link to {ReleaseErrors.Quote(target)}, which points outside the release folder";
            return false;
        }
        problem = null;
        return true;
    }
}
