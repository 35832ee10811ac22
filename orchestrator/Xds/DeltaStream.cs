using System.Globalization;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// Incremental ADS: responses carry only changed resources and the names removed. Subscriptions move by
/// subscribe/unsubscribe lists; a name subscribed to that does not exist is answered in removed_resources.
/// </summary>
internal sealed class DeltaStream : AdsStream
{
    public DeltaStream(long id, SnapshotCache cache, XdsMetrics metrics, IStreamObserver observer,
        TimeProvider time, XdsOptions options, ILogger logger)
        : base(id, cache, metrics, observer, time, options, logger)
    {
    }

    public override string Protocol => "delta";

    /// <summary>
    /// Applies one request. The nonce only tells which response is ACKed or NACKed (a stale one is
    /// ignored); subscription changes in the same request always apply.
    /// </summary>
    public void Handle(DeltaDiscoveryRequest request, XdsSnapshot snapshot)
    {
        var ackStateMoved = false;
        lock (Gate)
        {
            AcceptNode(request.Node);
            if (!TryGetState(request.TypeUrl, out var state))
            {
                return;
            }
            if (!string.IsNullOrEmpty(request.ResponseNonce))
            {
                if (TryAnswerOutstanding(state, request.ResponseNonce, request.ErrorDetail, fullState: false))
                {
                    ackStateMoved = true;
                }
                else
                {
                    RecordStale(state, request.ResponseNonce);
                }
            }
            UpdateSubscription(state, request, snapshot);
        }
        AfterRequest(ackStateMoved);
    }

    private void UpdateSubscription(TypeState state, DeltaDiscoveryRequest request, XdsSnapshot snapshot)
    {
        var allowsWildcard = XdsTypeUrls.AllowsWildcard(state.TypeUrl);
        if (!state.Requested)
        {
            state.Requested = true;
            state.Wildcard = allowsWildcard && request.ResourceNamesSubscribe.Count == 0;
            ClaimInitialVersions(state, request.InitialResourceVersions, snapshot);
        }
        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name == "*" && allowsWildcard)
            {
                state.Wildcard = true;
                continue;
            }
            state.Names.Add(name);
            state.MaybeMissing.Add(name);
        }
        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*" && allowsWildcard)
            {
                state.Wildcard = false;
                continue;
            }
            state.Names.Remove(name);
            state.ForgetMaybeMissing(name);
        }
        state.ForgetUnwanted();
    }

    /// <summary>
    /// A reconnecting client says what it already holds: what still matches is not sent again, and what
    /// no longer exists is announced as removed.
    /// </summary>
    private void ClaimInitialVersions(TypeState state, IDictionary<string, string> versions, XdsSnapshot snapshot)
    {
        foreach (var (name, version) in versions)
        {
            var current = snapshot.Apps.Values
                .Where(app => View!.Includes(app.Routing.Name))
                .Select(app => app.Of(state.TypeUrl).GetValueOrDefault(name))
                .FirstOrDefault(r => r is not null);
            if (current is not null && current.Version == version)
            {
                state.Acked[name] = current;
            }
            else if (current is null)
            {
                state.MaybeMissing.Add(name);
            }
        }
    }

    protected override IMessage? BuildResponse(TypeState state, MakeBeforeBreakPlanner.Plan plan, XdsSnapshot snapshot)
    {
        var target = plan.Targets[state.TypeUrl];
        var desired = plan.Desired[state.TypeUrl];
        var upserts = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        foreach (var (name, resource) in target)
        {
            var held = state.Acked.TryGetValue(name, out var acked) && acked.Version == resource.Version;
            var rejected = state.IsRejected(name, resource.Version);
            if (!held && !rejected)
            {
                upserts[name] = resource;
            }
        }
        var removals = state.Acked.Keys.Where(name => !target.ContainsKey(name)).ToList();
        removals.AddRange(state.TakeMaybeMissing().Where(name =>
            !desired.ContainsKey(name) && !target.ContainsKey(name) && !state.Acked.ContainsKey(name) && state.Covers(name)));
        // Only a wildcard subscriber is owed a first answer when there is nothing: it waits for one.
        if (upserts.Count == 0 && removals.Count == 0 && (state.Answered || !state.Wildcard))
        {
            return null;
        }

        var systemVersion = snapshot.Generation.ToString(CultureInfo.InvariantCulture);
        var response = new DeltaDiscoveryResponse
        {
            SystemVersionInfo = systemVersion,
            TypeUrl = state.TypeUrl,
            Nonce = NextNonce(),
            ControlPlane = ControlPlane,
        };
        foreach (var resource in upserts.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            response.Resources.Add(resource.Delta);
        }
        response.RemovedResources.Add(removals.Order(StringComparer.Ordinal));
        state.Outstanding = new OutstandingResponse(response.Nonce, systemVersion, upserts, removals, Time.GetTimestamp());
        return response;
    }
}
