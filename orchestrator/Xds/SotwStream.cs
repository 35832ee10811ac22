using System.Security.Cryptography;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// State-of-the-world ADS: every response carries the whole set of a type the client should hold, and
/// version_info names that set. For LDS and CDS omission means removal.
/// </summary>
internal sealed class SotwStream : AdsStream
{
    public SotwStream(long id, SnapshotCache cache, XdsMetrics metrics, IStreamObserver observer,
        TimeProvider time, XdsOptions options, ILogger logger)
        : base(id, cache, metrics, observer, time, options, logger)
    {
    }

    public override string Protocol => "sotw";

    /// <summary>
    /// Applies one request. A nonce equal to the in-flight response's is its ACK (or NACK with
    /// error_detail); the nonce of the last response already answered only updates the subscription;
    /// any other nonce is stale and the whole request is ignored, as the protocol asks.
    /// </summary>
    public void Handle(DiscoveryRequest request)
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
                if (TryAnswerOutstanding(state, request.ResponseNonce, request.ErrorDetail, fullState: true))
                {
                    ackStateMoved = true;
                }
                else if (request.ResponseNonce != state.LastNonce)
                {
                    RecordStale(state, request.ResponseNonce);
                    return;
                }
            }
            UpdateSubscription(state, request.ResourceNames);
        }
        AfterRequest(ackStateMoved);
    }

    private static void UpdateSubscription(TypeState state, IReadOnlyList<string> names)
    {
        state.Requested = true;
        if (XdsTypeUrls.AllowsWildcard(state.TypeUrl))
        {
            if (names.Count == 0 && !state.NamedResourcesSeen)
            {
                state.Wildcard = true;
                state.ClearNames();
                return;
            }
            state.NamedResourcesSeen |= names.Count > 0;
            state.Wildcard = names.Contains("*");
            state.Names = names.Where(n => n != "*").ToHashSet(StringComparer.Ordinal);
        }
        else
        {
            state.Names = names.ToHashSet(StringComparer.Ordinal);
        }
        state.ForgetUnwanted();
    }

    protected override IMessage? BuildResponse(TypeState state, MakeBeforeBreakPlanner.Plan plan, XdsSnapshot snapshot)
    {
        var content = plan.Targets[state.TypeUrl];
        // The same members (same objects) as the last response sent have the same version: nothing to say.
        // Checked before sorting and hashing, since every wake of every stream asks once per type.
        if (state.Answered && SameMembers(content, state.LastSentContent))
        {
            return null;
        }
        var ordered = content.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var version = VersionOf(ordered);
        // Same set as last sent (ACKed or NACKed): nothing to say; a NACKed set waits for a change.
        // A first answer is owed even when empty only to wildcard subscribers, who wait for it; a named
        // resource that does not exist is simply not sent, as the protocol prescribes for SotW.
        var owedFirstAnswer = !state.Answered && (state.Wildcard || ordered.Count > 0);
        if (!owedFirstAnswer && (!state.Answered || version == state.LastSentVersion))
        {
            return null;
        }
        var response = new DiscoveryResponse
        {
            VersionInfo = version,
            TypeUrl = state.TypeUrl,
            Nonce = NextNonce(),
            ControlPlane = ControlPlane,
        };
        foreach (var resource in ordered)
        {
            response.Resources.Add(resource.Packed);
        }
        state.Outstanding = new OutstandingResponse(
            response.Nonce, version, new Dictionary<string, CachedResource>(content, StringComparer.Ordinal), [], Time.GetTimestamp());
        state.LastSentVersion = version;
        state.LastSentContent = ordered;
        return response;
    }

    private static bool SameMembers(Dictionary<string, CachedResource> content, IReadOnlyList<CachedResource>? sent)
    {
        if (sent is null || sent.Count != content.Count)
        {
            return false;
        }
        foreach (var previous in sent)
        {
            if (!content.TryGetValue(previous.Name, out var resource) || !ReferenceEquals(previous, resource))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The version of a set is a hash of its members' names and versions: same set, same version.</summary>
    private static string VersionOf(IReadOnlyList<CachedResource> ordered)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var resource in ordered)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(resource.Name));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(resource.Version));
            hash.AppendData([0]);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset(), 0, 8);
    }
}
