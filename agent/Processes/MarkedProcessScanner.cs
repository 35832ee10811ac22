using System.Text;

namespace Baton.Agent.Processes;

/// <summary>
/// Finds, in /proc, the session leaders this agent started: they carry the agent's mark in their
/// environment (the data dir) and their instance id. A restarted agent uses it to find
/// instances spawned just before a crash that the state file had not recorded yet.
/// </summary>
internal static class MarkedProcessScanner
{
    public static Dictionary<string, ProcessIdentity> Scan(string markVariable, string markValue)
    {
        var found = new Dictionary<string, ProcessIdentity>(StringComparer.Ordinal);
        var mark = Encoding.UTF8.GetBytes($"{markVariable}={markValue}");
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            byte[] environ;
            try
            {
                environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile, or not ours to read: either way not one of our instances
            }
            string? instanceId = null;
            var marked = false;
            foreach (var entry in Split(environ))
            {
                if (entry.SequenceEqual(mark)) marked = true;
                else if (entry.StartsWith("BATON_INSTANCE_ID="u8)) instanceId = Encoding.UTF8.GetString(entry["BATON_INSTANCE_ID=".Length..]);
            }
            if (!marked || instanceId is null) continue;
            if (ProcStat.Read(pid) is not { } stat || stat.Session != pid || stat.IsZombie) continue;
            found[instanceId] = new ProcessIdentity(pid, stat.StartTimeTicks);
        }
        return found;
    }

    private static IEnumerable<byte[]> Split(byte[] environ)
    {
        var start = 0;
        for (var i = 0; i <= environ.Length; i++)
        {
            if (i < environ.Length && environ[i] != 0) continue;
            if (i > start) yield return environ[start..i];
            start = i + 1;
        }
    }
}
