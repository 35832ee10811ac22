using Google.Protobuf;

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

    /// <summary>
    /// Test seam, never set in production: sees each resource after it is built and before it is cached, and
    /// may change it. The conformance tests use it to serve what a real xDS client must reject, so the NACK
    /// path is proven end to end with the client's own error.
    /// </summary>
    internal Action<IMessage>? EditBuiltResource { get; set; }
}
