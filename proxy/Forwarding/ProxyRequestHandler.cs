using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// The request path: route, pick a cluster by weight, pick an endpoint, forward with YARP, count the
/// attempt, retry on another endpoint what the route's <see cref="RetryLimits"/> allow. Reads only the
/// immutable snapshot a listener holds; no locks, no lookups by name.
/// </summary>
internal sealed partial class ProxyRequestHandler(IHttpForwarder forwarder, ILogger<ProxyRequestHandler> logger)
{
    // A snapshot read just before an update whose pool was then retired and went idle: re-reading
    // the listener's routing finds the current pool. Bounded so a misbehaving update cannot spin a request.
    private const int MaxSnapshotReads = 3;

    private readonly RouteTimeoutPool _routeTimeouts = new();

    public Task HandleAsync(HttpContext context, ListenerHost listener)
    {
        for (var read = 0; read < MaxSnapshotReads; read++)
        {
            var routing = listener.Routing;
            var route = routing.Match(context.Request.Headers.Host, context.Request.Path.Value ?? "/");
            if (route is null)
            {
                return LocalReplies.WriteAsync(context, StatusCodes.Status404NotFound, LocalReplies.NoRoute);
            }
            if (!route.TryPickCluster(out var cluster, out var failureReply))
            {
                return LocalReplies.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, failureReply);
            }
            if (cluster!.Client.TryAcquire())
            {
                return ForwardAsync(context, route, cluster, routing.RequestTransformer);
            }
        }
        return LocalReplies.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, LocalReplies.ProxyStopping);
    }

    /// <summary>Forwards under the pool lease taken by the caller, which it returns.</summary>
    private async Task ForwardAsync(HttpContext context, CompiledRoute route, ClusterRuntime cluster, HttpTransformer transformer)
    {
        // Zero means no timeout (long streams): no timer at all.
        var routeTimeout = route.Timeout > TimeSpan.Zero ? _routeTimeouts.Rent(route.Timeout) : null;
        try
        {
            var endpoint = cluster.Picker.Pick();
            if (endpoint is null)
            {
                await LocalReplies.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, cluster.NoHealthyEndpointReply);
                return;
            }
            var timeoutToken = routeTimeout?.Token ?? CancellationToken.None;
            var retries = 0;
            List<EndpointState>? tried = null;
            while (true)
            {
                var failure = await SendAttemptAsync(context, cluster, endpoint, transformer, timeoutToken);
                if (failure == UpstreamFailure.None || !route.Retries.Allows(failure, retries, context))
                {
                    break;
                }
                tried ??= new List<EndpointState>(route.Retries.MaxAttempts);
                tried.Add(endpoint);
                var next = cluster.Picker.PickOther(tried);
                if (next is null)
                {
                    break;
                }
                LogRetry(logger, failure, endpoint.Address, cluster.Name, next.Address);
                // YARP answered the failed attempt with 502 and an error feature; a fresh attempt starts clean.
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Features.Set<IForwarderErrorFeature>(null);
                endpoint = next;
                retries++;
            }
            if (routeTimeout is { IsCancellationRequested: true } && !context.Response.HasStarted)
            {
                // YARP reports a cancellation from our token as 502; Envoy answers a route timeout with 504.
                context.Features.Set<IForwarderErrorFeature>(null);
                await LocalReplies.WriteAsync(context, StatusCodes.Status504GatewayTimeout, LocalReplies.RouteTimeout);
            }
        }
        finally
        {
            cluster.Client.Release();
            if (routeTimeout is not null)
            {
                _routeTimeouts.Return(routeTimeout);
            }
        }
    }

    /// <summary>
    /// One attempt on one endpoint, counted exactly once. Returns how it failed when a retry could follow
    /// (nothing of the response sent, the route's time not up, the client still there), else None.
    /// </summary>
    private async ValueTask<UpstreamFailure> SendAttemptAsync(
        HttpContext context, ClusterRuntime cluster, EndpointState endpoint, HttpTransformer transformer, CancellationToken timeoutToken)
    {
        endpoint.Started();
        cluster.Load.Started();
        var error = true;
        try
        {
            var result = await forwarder.SendAsync(
                context, endpoint.DestinationPrefix, cluster.Client.Invoker, cluster.Client.RequestConfig, transformer, timeoutToken);
            var timedOut = timeoutToken.IsCancellationRequested;
            // A failure that may be retried is an error all the same: this endpoint gave no answer.
            error = UpstreamOutcome.IsError(context, result, timedOut);
            if (result == ForwarderError.None || timedOut || context.RequestAborted.IsCancellationRequested || context.Response.HasStarted)
            {
                return UpstreamFailure.None;
            }
            return UpstreamOutcome.Classify(context, result);
        }
        finally
        {
            endpoint.Completed();
            cluster.Load.Completed(error);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Failure} on {Endpoint} of cluster {Cluster}; retrying on {Next}")]
    private static partial void LogRetry(ILogger logger, UpstreamFailure failure, string endpoint, string cluster, string next);
}
