namespace Baton.Orchestrator.Xds;

/// <summary>What the xDS server can tell an operator about its data planes.</summary>
public interface IXdsMonitor
{
    /// <summary>Every open stream: node, subscriptions, last ACKed version and last NACK per type.</summary>
    IReadOnlyList<XdsStreamStatus> ListStreams();
}
