using Baton.Orchestrator.Xds;
using Baton.Protos.Orchestrator.V1;
using Google.Protobuf.WellKnownTypes;

namespace Baton.Orchestrator.Api;

/// <summary>What `baton dataplanes` shows: each connected stream, what it has ACKed, and whether it is in sync.</summary>
public static class DataPlaneView
{
    public static DataPlane From(XdsStreamStatus stream)
    {
        var plane = new DataPlane
        {
            NodeId = stream.NodeId,
            Cluster = stream.NodeCluster,
            Protocol = stream.Protocol,
            ConnectedAt = Timestamp.FromDateTimeOffset(stream.ConnectedAt),
        };
        if (stream.ViewedApps is { } apps) plane.Apps.AddRange(apps.Order(StringComparer.Ordinal));
        var nacked = false;
        var stale = false;
        foreach (var type in stream.Types.Where(t => t.Requested))
        {
            var lastNackIsCurrent = type.LastNack is { } n && (type.LastAckedAt is null || n.At > type.LastAckedAt);
            nacked |= lastNackIsCurrent;
            stale |= type.PendingNonce is not null;
            plane.Types_.Add(new DataPlaneTypeState
            {
                TypeUrl = type.TypeUrl,
                AckedVersion = type.LastAckedVersion ?? "",
                SentVersion = type.PendingNonce is null ? type.LastAckedVersion ?? "" : "(awaiting ACK)",
                NackError = lastNackIsCurrent ? type.LastNack!.Message : "",
            });
        }
        plane.Status = nacked ? "nacked" : stale ? "stale" : "in sync";
        return plane;
    }
}
