using System.Collections.Concurrent;
using Baton.Agent.Releases;

namespace Baton.Agent.Tests.Releases;

/// <summary>Stands in for the instance manager, which owns the real answer.</summary>
internal sealed class FakeReleaseUsage : IReleaseUsage
{
    private readonly ConcurrentDictionary<(string App, string Version), int> _running = new();

    public void SetRunning(string app, string version, int instances) => _running[(app, version)] = instances;

    public int RunningInstances(string app, string version) => _running.GetValueOrDefault((app, version));
}
