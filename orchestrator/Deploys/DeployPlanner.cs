using System.Security.Cryptography;
using System.Text;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Deploys;

/// <summary>Decides where a release's instances go and what they are called; pure, so plan and deploy agree.</summary>
public static class DeployPlanner
{
    public static IReadOnlyList<FleetAgent> SelectAgents(AppSpec spec, IReadOnlyList<FleetAgent> agents)
    {
        var placement = spec.Placement ?? new Placement();
        var chosen = agents
            .Where(a => placement.Agents.Count == 0 || placement.Agents.Contains(a.Name))
            .Where(a => placement.Labels.All(l => a.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
        var missing = placement.Agents.Where(n => agents.All(a => a.Name != n)).ToList();
        if (missing.Count > 0)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"app {spec.Name} targets agent(s) {string.Join(", ", missing)}, which are not registered"));
        if (chosen.Count == 0)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"no registered agent matches the placement of app {spec.Name}"));
        return chosen;
    }

    /// <summary>The instances of <paramref name="version"/>: per agent, or a total spread round-robin.</summary>
    public static ReleaseState PlanRelease(AppSpec spec, string version, IReadOnlyList<FleetAgent> targets)
    {
        var placement = spec.Placement ?? new Placement();
        var total = placement.Instances > 0
            ? (int)placement.Instances
            : (int)Math.Max(1, placement.InstancesPerAgent) * targets.Count;
        var release = new ReleaseState { Version = version };
        for (var n = 0; n < total; n++)
            release.Instances.Add(new InstancePlacement { Agent = targets[n % targets.Count].Name, InstanceId = InstanceId(spec.Name, version, n) });
        return release;
    }

    /// <summary>
    /// <c>app-version-n</c>, readable in `baton ps`; when that would pass the 63-character name
    /// limit the version is replaced by a short hash of it, still unique per release.
    /// </summary>
    public static string InstanceId(string app, string version, int n)
    {
        var plain = $"{app}-{version}-{n}";
        if (plain.Length <= 63) return plain;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version)))[..10];
        var suffix = $"-{hash}-{n}";
        return app[..Math.Min(app.Length, 63 - suffix.Length)] + suffix;
    }

    /// <summary>The weight steps, always ending at 100.</summary>
    public static IReadOnlyList<StepSpec> Steps(AppSpec spec)
    {
        var steps = (spec.Strategy?.Steps ?? []).ToList();
        if (steps.Count == 0 || steps[^1].Weight != 100) steps.Add(new StepSpec { Weight = 100 });
        return steps;
    }
}
