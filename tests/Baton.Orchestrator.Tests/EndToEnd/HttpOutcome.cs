namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// One HTTP request's end as <see cref="HttpLoad"/> saw it: answered 2xx by a release, or failed
/// (a status other than 2xx, or an exception) with the release that said so when its body names one.
/// <see cref="GrpcLoad"/> records its calls the same way (a gRPC call is an HTTP/2 request): answered
/// OK by a release, or failed with a status and the release its trailers name.
/// </summary>
internal sealed record HttpOutcome(bool Ok, string? Version, string? Instance, string? FailureKind = null, string? Error = null)
{
    public static HttpOutcome Answered(string version, string instance) => new(true, version, instance);

    /// <summary>A failure; <paramref name="version"/> is the release whose body came with it, or null (the proxy, the network).</summary>
    public static HttpOutcome Failed(string kind, string error, string? version = null) => new(false, version, null, kind, error);
}
