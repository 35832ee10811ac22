using Baton.Protos.Agent.V1;

namespace Baton.Agent.Instances;

/// <summary>
/// The environment an instance starts with: a small allowlist from the agent (never its
/// secrets), then the spec's variables, then what the agent assigns (PORT, ids).
/// </summary>
internal static class InstanceEnvironment
{
    /// <summary>Marks processes of this agent (by data dir) so a restarted agent can find them in /proc.</summary>
    public const string AgentMarkVariable = "BATON_AGENT_DATA_DIR";

    private static readonly string[] Inherited = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "HOME", "USER", "LOGNAME"];

    public static Dictionary<string, string> Build(InstanceSpec spec, int port, string dataDir, Processes.UserAccount? runAs)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Inherited)
            if (Environment.GetEnvironmentVariable(name) is { } value) env[name] = value;
        env.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        if (runAs is not null)
        {
            env["HOME"] = runAs.Home;
            env["USER"] = runAs.Name;
            env["LOGNAME"] = runAs.Name;
        }
        foreach (var (key, value) in spec.Env) env[key] = value;
        env["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["BATON_INSTANCE_ID"] = spec.InstanceId;
        env["BATON_APP"] = spec.App;
        env["BATON_VERSION"] = spec.Version;
        env[AgentMarkVariable] = dataDir;
        return env;
    }
}
