using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>How one forwarding attempt ended, in the terms load reports and retries need.</summary>
internal static class UpstreamOutcome
{
    /// <summary>
    /// The attempt never reached the endpoint: the connection was refused, unreachable or timed out
    /// while connecting, so nothing of the request was sent and it can go to another endpoint.
    /// </summary>
    public static bool IsConnectFailure(HttpContext context, ForwarderError error)
    {
        if (error is not (ForwarderError.Request or ForwarderError.RequestTimedOut))
        {
            return false;
        }
        return context.Features.Get<IForwarderErrorFeature>()?.Exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
            // SocketsHttpHandler's ConnectTimeout: a cancellation carrying a TimeoutException.
            OperationCanceledException { InnerException: TimeoutException } => true,
            _ => false,
        };
    }

    /// <summary>
    /// Whether Envoy would count the attempt as an error in its load report: no answer (a forwarding
    /// error the client did not cause), a 5xx status, or a gRPC status that means the server failed.
    /// A client that hung up is not the upstream's failure and is not counted against the release.
    /// </summary>
    public static bool IsError(HttpContext context, ForwarderError error, bool routeTimedOut)
    {
        if (error != ForwarderError.None)
        {
            return routeTimedOut || !context.RequestAborted.IsCancellationRequested;
        }
        var response = context.Response;
        if (response.StatusCode >= 500)
        {
            return true;
        }
        // gRPC puts its status in the trailers, or in the headers of a trailers-only response.
        if (IsGrpcServerFailure(response.Headers["grpc-status"]))
        {
            return true;
        }
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        return trailers is not null && IsGrpcServerFailure(trailers["grpc-status"]);
    }

    /// <summary>UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS: the codes Envoy's gRPC stats count as server errors.</summary>
    internal static bool IsGrpcServerFailure(StringValues grpcStatus)
    {
        if (grpcStatus.Count == 0 || !int.TryParse(grpcStatus[0], out var code))
        {
            return false;
        }
        return code is 2 or 4 or 12 or 13 or 14 or 15;
    }
}
