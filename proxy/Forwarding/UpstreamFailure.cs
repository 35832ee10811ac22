namespace Baton.Proxy.Forwarding;

/// <summary>The ways an attempt can fail that a retry policy may name; any other outcome is <see cref="None"/>.</summary>
internal enum UpstreamFailure
{
    /// <summary>An answer (of any status), or a failure no retry condition covers.</summary>
    None,

    /// <summary>No connection: nothing of the request reached the endpoint (retry_on <c>connect-failure</c>).</summary>
    ConnectFailure,

    /// <summary>The connection or stream was reset or closed before any response header (retry_on <c>reset</c>).</summary>
    Reset,

    /// <summary>The HTTP/2 stream was refused: the endpoint did not process the request (retry_on <c>refused-stream</c>).</summary>
    RefusedStream,
}
