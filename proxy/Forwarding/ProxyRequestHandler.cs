using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// The request path: route, pick a cluster by weight, pick an endpoint, forward with YARP, count the
/// attempt. Reads only the immutable snapshot a listener holds; no locks, no lookups by name.
/// </summary>
internal sealed partial class ProxyRequestHandler(IHttpForwarder forwarder, ILogger<ProxyRequestHandler> logger)
{
    /// <summary>Connect failures are retried on other endpoints at most this many times (and never on the same one).</summary>
    internal const int MaxConnectRetries = 3;

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
            var retriesLeft = Math.Min(MaxConnectRetries, cluster.Picker.Healthy.Length - 1);
            List<EndpointState>? tried = null;
            while (true)
            {
                var retry = await SendAttemptAsync(context, cluster, endpoint, transformer, retriesLeft > 0, timeoutToken);
                if (!retry)
                {
                    break;
                }
                tried ??= new List<EndpointState>(MaxConnectRetries + 1);
                tried.Add(endpoint);
                var next = cluster.Picker.PickOther(tried);
                if (next is null)
                {
                    break;
                }
                LogConnectRetry(logger, endpoint.Address, cluster.Name, next.Address);
                // YARP answered the failed attempt with 502 and an error feature; a fresh attempt starts clean.
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Features.Set<IForwarderErrorFeature>(null);
                endpoint = next;
                retriesLeft--;
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

    /// <summary>One attempt on one endpoint, counted exactly once; true when it failed to connect and may be retried elsewhere.</summary>
    private async ValueTask<bool> SendAttemptAsync(
        HttpContext context, ClusterRuntime cluster, EndpointState endpoint, HttpTransformer transformer, bool mayRetry, CancellationToken timeoutToken)
    {
        endpoint.Started();
        cluster.Load.Started();
        var error = true;
        try
        {
            var result = await forwarder.SendAsync(
                context, endpoint.DestinationPrefix, cluster.Client.Invoker, cluster.Client.RequestConfig, transformer, timeoutToken);
            var timedOut = timeoutToken.IsCancellationRequested;
            if (result != ForwarderError.None && mayRetry && !timedOut && !context.RequestAborted.IsCancellationRequested
                && !context.Response.HasStarted && UpstreamOutcome.IsConnectFailure(context, result))
            {
                return true; // counted as an error: the endpoint gave no answer
            }
            error = UpstreamOutcome.IsError(context, result, timedOut);
            return false;
        }
        finally
        {
            endpoint.Completed();
            cluster.Load.Completed(error);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not connect to {Endpoint} of cluster {Cluster}; retrying on {Next}")]
    private static partial void LogConnectRetry(ILogger logger, string endpoint, string cluster, string next);
}
