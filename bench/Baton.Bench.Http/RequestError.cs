namespace Baton.Bench.Http;

/// <summary>Why a request of <see cref="NoRetryLoad"/> got no HTTP answer.</summary>
internal enum RequestError
{
    /// <summary>connect() refused: nothing listens on the port.</summary>
    Refused,

    /// <summary>The peer reset the connection (RST), while sending or waiting.</summary>
    Reset,

    /// <summary>The peer closed (FIN) a connection before any byte of the response: what a worker that exits does to an idle keep-alive connection.</summary>
    ClosedBeforeResponse,

    /// <summary>The peer closed after part of the response.</summary>
    ClosedDuringResponse,

    /// <summary>No whole response within the per-request timeout.</summary>
    Timeout,

    /// <summary>Bytes that are not an HTTP/1.1 response the client understands.</summary>
    BadResponse,

    /// <summary>Any other socket error.</summary>
    OtherSocketError,
}

/// <summary>One request that got no HTTP answer: when it started (ms since the load started), how long until it failed, and why.</summary>
internal readonly record struct FailedRequest(double OffsetMs, double LatencyMs, RequestError Kind)
{
    public static string Describe(RequestError kind) => kind switch
    {
        RequestError.Refused => "refused",
        RequestError.Reset => "reset",
        RequestError.ClosedBeforeResponse => "closed before the response",
        RequestError.ClosedDuringResponse => "closed during the response",
        RequestError.Timeout => "timed out",
        RequestError.BadResponse => "bad response",
        _ => "other socket error",
    };
}
