using System.Diagnostics;
using System.Net;
using Baton.Proxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// One cluster's connection pool (a <see cref="SocketsHttpHandler"/> behind an <see cref="HttpMessageInvoker"/>)
/// and the forwarding settings that go with it. A cluster keeps the same client across config updates
/// while its connect timeout and protocol stay the same, so pooled connections and in-flight requests
/// survive weight and endpoint changes. A replaced client is disposed only once its last request ends:
/// the config holds one lease, every request holds one while it forwards.
/// </summary>
internal sealed class UpstreamClient
{
    /// <summary>
    /// How long a forwarded exchange may sit idle (no bytes either way) before YARP cancels it: Envoy's
    /// stream_idle_timeout default. Long requests and streams that keep moving are never cut by it; the
    /// route timeout bounds the whole exchange.
    /// </summary>
    private static readonly TimeSpan StreamIdleTimeout = TimeSpan.FromMinutes(5);

    private readonly HttpMessageInvoker _invoker;
    private int _leases = 1;

    public UpstreamClient(TimeSpan connectTimeout, UpstreamProtocol protocol)
    {
        ConnectTimeout = connectTimeout;
        Protocol = protocol;
        // The settings YARP recommends for direct forwarding: the proxy passes requests and responses
        // through as they are and never acts as a browser.
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = connectTimeout > TimeSpan.Zero ? connectTimeout : Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = StreamIdleTimeout,
            // HTTP/2 clusters are cleartext h2c with prior knowledge (gRPC apps); exact, so a request is
            // never silently sent as HTTP/1.1 to a server that only speaks HTTP/2.
            Version = protocol == UpstreamProtocol.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = protocol == UpstreamProtocol.Http2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public TimeSpan ConnectTimeout { get; }

    public UpstreamProtocol Protocol { get; }

    public HttpMessageInvoker Invoker => _invoker;

    public ForwarderRequestConfig RequestConfig { get; }

    public bool Matches(ClusterConfig cluster) => cluster.ConnectTimeout == ConnectTimeout && cluster.Upstream == Protocol;

    /// <summary>Takes a lease for one request; false once the client has been retired and went idle (disposed).</summary>
    public bool TryAcquire()
    {
        var leases = Volatile.Read(ref _leases);
        while (leases > 0)
        {
            var seen = Interlocked.CompareExchange(ref _leases, leases + 1, leases);
            if (seen == leases)
            {
                return true;
            }
            leases = seen;
        }
        return false;
    }

    /// <summary>Returns a request's lease (or, from <see cref="Retire"/>, the config's); the last one disposes the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            _invoker.Dispose();
        }
    }

    /// <summary>The config no longer uses this client: it goes once the requests still on it have ended.</summary>
    public void Retire() => Release();
}
