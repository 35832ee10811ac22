namespace Baton.Proxy.Configuration;

/// <summary>The retry_on conditions baton-proxy obeys, each a failure after which the app cannot have answered.</summary>
[Flags]
public enum RetryConditions
{
    None = 0,

    /// <summary><c>connect-failure</c>: no connection to the endpoint (refused, unreachable, connect timeout).</summary>
    ConnectFailure = 1,

    /// <summary><c>reset</c>: the endpoint reset or closed the connection (or the HTTP/2 stream) before any response.</summary>
    Reset = 2,

    /// <summary><c>refused-stream</c>: the endpoint refused the HTTP/2 stream (REFUSED_STREAM), so it did not process the request.</summary>
    RefusedStream = 4,
}
