using System.Globalization;

namespace Baton.Demo;

/// <summary>
/// Stops the app instances the demo's agent started. They run in their own sessions so that they
/// survive an agent restart; stopping the agent therefore leaves them running. The agent marks each
/// with BATON_AGENT_DATA_DIR=&lt;its data dir&gt;, which is how they are found in /proc.
/// </summary>
internal static class InstanceReaper
{
    /// <summary>SIGKILLs the process group of every marked session leader until none is left; returns how many groups it killed.</summary>
    public static async Task<int> KillInstanceGroupsAsync(string agentDataDir)
    {
        var killed = 0;
        for (var round = 0; round < 20; round++)
        {
            var leaders = SessionLeaders(agentDataDir);
            if (leaders.Count == 0) return killed;
            foreach (var pid in leaders)
                if (Posix.SignalGroup(pid, Posix.SigKill)) killed++;
            // A killed leader stays in /proc until its parent reaps it; zombies are skipped on the next round.
            await Task.Delay(100);
        }
        var left = SessionLeaders(agentDataDir);
        if (left.Count > 0)
            throw new DemoFailedException($"app instances still running after repeated SIGKILL: pids {string.Join(", ", left)}");
        return killed;
    }

    /// <summary>Live session leaders whose environment carries the agent's mark.</summary>
    public static IReadOnlyList<int> SessionLeaders(string agentDataDir)
    {
        var mark = $"BATON_AGENT_DATA_DIR={agentDataDir}";
        var leaders = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                // Fields after "(comm)": state, ppid, pgrp, session; a session leader's session id is its pid.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" || fields[3] != pid.ToString(CultureInfo.InvariantCulture)) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(mark)) leaders.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process exited meanwhile, or belongs to another user: not one of the demo's.
            }
        }
        return leaders;
    }
}
