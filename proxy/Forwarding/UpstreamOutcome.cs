using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>How one forwarding attempt ended, in the terms load reports and retries need.</summary>
internal static class UpstreamOutcome
{
    /// <summary>HTTP/2's REFUSED_STREAM error code (RFC 9113, section 7).</summary>
    private const long Http2RefusedStream = 0x7;

    /// <summary>
    /// Which retry condition a failed attempt meets, from the exception YARP recorded. Only failures
    /// before the response headers (<see cref="ForwarderError.Request"/>) qualify: once headers arrive,
    /// the endpoint has answered.
    /// </summary>
    public static UpstreamFailure Classify(HttpContext context, ForwarderError error)
    {
        if (error is not (ForwarderError.Request or ForwarderError.RequestTimedOut))
        {
            return UpstreamFailure.None;
        }
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (IsConnectFailure(exception))
        {
            return UpstreamFailure.ConnectFailure;
        }
        if (error != ForwarderError.Request)
        {
            return UpstreamFailure.None; // the stream went idle: the endpoint may be working on it still
        }
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case HttpProtocolException { ErrorCode: Http2RefusedStream }:
                    return UpstreamFailure.RefusedStream;
                // Any other RST_STREAM or GOAWAY before the headers: Envoy's reset covers every stream reset.
                case HttpProtocolException:
                // Closed in order with no response (SocketsHttpHandler's own retries on it were spent).
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted }:
                    return UpstreamFailure.Reset;
            }
        }
        return UpstreamFailure.None;
    }

    /// <summary>
    /// The attempt never reached the endpoint: the connection was refused, unreachable or timed out
    /// while connecting, so nothing of the request was sent and it can go to another endpoint.
    /// </summary>
    private static bool IsConnectFailure(Exception? exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => true,
        // SocketsHttpHandler's ConnectTimeout: a cancellation carrying a TimeoutException.
        OperationCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

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
