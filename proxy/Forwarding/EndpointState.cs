namespace Baton.Proxy.Forwarding;

/// <summary>
/// One upstream endpoint as the data path tracks it. The object outlives config updates while the
/// endpoint stays in its cluster, so the in-flight count least-request balances on keeps counting
/// the requests that started under an earlier config.
/// </summary>
internal sealed class EndpointState
{
    private long _inFlight;

    public EndpointState(string host, int port)
    {
        Address = FormatAddress(host, port);
        // Built once: YARP appends the request path to this prefix on every request.
        DestinationPrefix = "http://" + Address;
    }

    /// <summary><c>host:port</c>, IPv6 hosts bracketed: the identity kept across updates.</summary>
    public string Address { get; }

    public string DestinationPrefix { get; }

    public long InFlight => Volatile.Read(ref _inFlight);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Completed() => Interlocked.Decrement(ref _inFlight);

    public static string FormatAddress(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
}
