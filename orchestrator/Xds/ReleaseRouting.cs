namespace Baton.Orchestrator.Xds;

/// <summary>One release of an app: its share of traffic and the instances that may receive it.</summary>
/// <param name="Version">Release version; with the app name it forms the cluster name.</param>
/// <param name="Weight">Relative weight in the route; 0 keeps the cluster warm without traffic.</param>
/// <param name="Endpoints">Ready instances; draining ones stay listed as <see cref="EndpointHealth.Draining"/>.</param>
public sealed record ReleaseRouting(
    string Version,
    uint Weight,
    IReadOnlyList<EndpointRouting> Endpoints);
