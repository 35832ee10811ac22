using Baton.Orchestrator.Xds;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>Routing fixtures: releases as (version, weight) with two loopback endpoints each.</summary>
internal static class Apps
{
    public static AppRouting Http(string name, int port, params (string Version, uint Weight)[] releases) =>
        new(name, AppProtocol.Http, port, releases.Select(r => Release(r.Version, r.Weight)).ToList());

    public static AppRouting Grpc(string name, params (string Version, uint Weight)[] releases) =>
        new(name, AppProtocol.Grpc, null, releases.Select(r => Release(r.Version, r.Weight)).ToList());

    public static ReleaseRouting Release(string version, uint weight, int endpointCount = 2)
    {
        var basePort = 20000 + (Math.Abs(StringComparer.Ordinal.GetHashCode(version)) % 1000) * 10;
        var endpoints = Enumerable.Range(0, endpointCount)
            .Select(i => new EndpointRouting("127.0.0.1", basePort + i, EndpointHealth.Healthy))
            .ToList();
        return new ReleaseRouting(version, weight, endpoints);
    }
}
