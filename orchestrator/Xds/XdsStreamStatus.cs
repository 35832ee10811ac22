namespace Baton.Orchestrator.Xds;

/// <summary>One resource type on one stream, as an operator sees it.</summary>
public sealed record XdsTypeStatus(
    string TypeUrl,
    bool Requested,
    bool Wildcard,
    int SubscribedNames,
    int AckedResources,
    string? LastAckedVersion,
    DateTimeOffset? LastAckedAt,
    string? PendingNonce,
    long ResponsesSent,
    long Acks,
    long Nacks,
    long StaleRequests,
    NackRecord? LastNack);

/// <summary>One connected data plane.</summary>
/// <param name="ViewedApps">Apps the node sees; null means every app.</param>
public sealed record XdsStreamStatus(
    long StreamId,
    string Protocol,
    string NodeId,
    string NodeCluster,
    IReadOnlyCollection<string>? ViewedApps,
    DateTimeOffset ConnectedAt,
    IReadOnlyList<XdsTypeStatus> Types,
    IReadOnlyCollection<string> IgnoredTypeUrls);
