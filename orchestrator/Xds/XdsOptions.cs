namespace Baton.Orchestrator.Xds;

/// <summary>Settings of the xDS server that are not part of any app's routing.</summary>
public sealed class XdsOptions
{
    /// <summary>Shown as control_plane.identifier in every response, so config dumps name their source.</summary>
    public string ControlPlaneId { get; set; } = "baton";

    /// <summary>Address Envoy binds the apps' public listeners to.</summary>
    public string PublicListenerAddress { get; set; } = "0.0.0.0";

    /// <summary>Upstream connect timeout of every release cluster.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
