using Baton.Proxy.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// A route's retry policy as the request path applies it: how many retries in all a request may have
/// when its latest attempt failed in a given way (one count for every kind of failure, as Envoy's
/// num_retries). Each retry goes to an endpoint not tried yet, so a cluster's size bounds it too.
/// </summary>
internal sealed class RetryLimits
{
    /// <summary>
    /// Connect failures are retried this many times whatever the policy says: nothing was sent, and an
    /// endpoint that stops listening at the end of its drain must not fail the requests still routed to it.
    /// </summary>
    public const int AlwaysOnConnectRetries = 3;

    /// <summary>
    /// num_retries beyond this is not honoured (an app spec allows at most 10): past it a request has met
    /// ten failing endpoints, and more attempts mostly make its client wait longer for the same 502.
    /// </summary>
    public const int MaxRetries = 10;

    private readonly int _connectFailure;
    private readonly int _reset;
    private readonly int _refusedStream;

    private RetryLimits(int connectFailure, int reset, int refusedStream)
    {
        _connectFailure = connectFailure;
        _reset = reset;
        _refusedStream = refusedStream;
    }

    /// <summary>A route without retry policy: connect failures only.</summary>
    public static RetryLimits WithoutPolicy { get; } = new(AlwaysOnConnectRetries, 0, 0);

    /// <summary>The most attempts a request of this route can make (sizes the list of endpoints tried).</summary>
    public int MaxAttempts => 1 + Math.Max(_connectFailure, Math.Max(_reset, _refusedStream));

    public static RetryLimits For(RetryConfig? policy)
    {
        if (policy is null)
        {
            return WithoutPolicy;
        }
        var retries = (int)Math.Min(policy.NumRetries, MaxRetries);
        int Limit(RetryConditions condition) => policy.RetryOn.HasFlag(condition) ? retries : 0;
        return new RetryLimits(
            Math.Max(AlwaysOnConnectRetries, Limit(RetryConditions.ConnectFailure)),
            Limit(RetryConditions.Reset),
            Limit(RetryConditions.RefusedStream));
    }

    /// <summary>
    /// Whether a request that has had <paramref name="retriesSoFar"/> retries may have another after its
    /// attempt ended in <paramref name="failure"/> (the response not begun, the client still there).
    /// </summary>
    public bool Allows(UpstreamFailure failure, int retriesSoFar, HttpContext context) => failure switch
    {
        UpstreamFailure.ConnectFailure => retriesSoFar < _connectFailure,
        // The endpoint may have read part of the request; a body streamed from the client is gone by now.
        UpstreamFailure.Reset => retriesSoFar < _reset && HasNoBody(context.Request),
        UpstreamFailure.RefusedStream => retriesSoFar < _refusedStream && HasNoBody(context.Request),
        _ => false,
    };

    /// <summary>
    /// Nothing of the request beyond its head: no Content-Length above 0, no Transfer-Encoding (or, over
    /// HTTP/2, a HEADERS frame that ended the stream), as the server that parsed it saw it.
    /// </summary>
    private static bool HasNoBody(HttpRequest request)
    {
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { } detection)
        {
            return !detection.CanHaveBody;
        }
        return request.ContentLength is null or 0 && !request.Headers.ContainsKey(HeaderNames.TransferEncoding);
    }
}
