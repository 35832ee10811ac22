using System.Diagnostics;
using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Bench.Xds;

/// <summary>
/// One simulated Envoy on one SotW ADS stream: LDS and CDS wildcard, then RDS for the routes its listeners
/// name and EDS for the clusters it holds; it ACKs every response and re-subscribes when those names change.
/// It unpacks only LDS and CDS (to learn names), as cheaply as a load generator can.
/// </summary>
internal sealed class FakeEnvoy
{
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Fleet _fleet;
    private readonly int _index;
    private Node? _node;
    private string[] _endpointNames = [];
    private string[] _routeNames = [];
    private string? _routeVersion;
    private int _ackedTypes;
    private bool _synced;

    public FakeEnvoy(GrpcChannel channel, Fleet fleet, int index, CancellationToken cancellationToken)
    {
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel)
            .StreamAggregatedResources(cancellationToken: cancellationToken);
        _fleet = fleet;
        _index = index;
        _node = new Node { Id = $"bench-envoy-{index}", Cluster = ServerHost.AppName };
    }

    public async Task StartAsync()
    {
        await SendAsync(XdsTypeUrls.Listener, [], "", "");
        await SendAsync(XdsTypeUrls.Cluster, [], "", "");
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var responses = _call.ResponseStream;
        while (await responses.MoveNext(cancellationToken))
        {
            var response = responses.Current;
            switch (response.TypeUrl)
            {
                case XdsTypeUrls.Cluster:
                    var clusters = response.Resources.Select(a => a.Unpack<Cluster>().EdsClusterConfig.ServiceName).Order(StringComparer.Ordinal).ToArray();
                    await AckAsync(response, []);
                    if (!clusters.SequenceEqual(_endpointNames))
                    {
                        _endpointNames = clusters;
                        await SendAsync(XdsTypeUrls.Endpoint, _endpointNames, "", "");
                    }
                    break;
                case XdsTypeUrls.Listener:
                    var routes = response.Resources.Select(a => a.Unpack<Listener>())
                        .Select(l => l.FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>().Rds.RouteConfigName)
                        .Distinct().Order(StringComparer.Ordinal).ToArray();
                    await AckAsync(response, []);
                    if (!routes.SequenceEqual(_routeNames))
                    {
                        _routeNames = routes;
                        await SendAsync(XdsTypeUrls.Route, _routeNames, "", "");
                    }
                    break;
                case XdsTypeUrls.Endpoint:
                    await AckAsync(response, _endpointNames);
                    break;
                case XdsTypeUrls.Route:
                    var receivedAt = Stopwatch.GetTimestamp();
                    await AckAsync(response, _routeNames);
                    var ackedAt = Stopwatch.GetTimestamp();
                    if (_synced && response.VersionInfo != _routeVersion)
                    {
                        _fleet.RouteChanged(_index, receivedAt, ackedAt);
                    }
                    _routeVersion = response.VersionInfo;
                    break;
            }
            if (_synced)
            {
                _fleet.ResponseDuringPush();
            }
            else
            {
                _ackedTypes |= TypeBit(response.TypeUrl);
                if (_ackedTypes == 0b1111)
                {
                    _synced = true;
                    _fleet.Synced();
                }
            }
        }
    }

    public void Dispose() => _call.Dispose();

    private static int TypeBit(string typeUrl) => typeUrl switch
    {
        XdsTypeUrls.Cluster => 1,
        XdsTypeUrls.Endpoint => 2,
        XdsTypeUrls.Listener => 4,
        XdsTypeUrls.Route => 8,
        _ => 0,
    };

    private Task AckAsync(DiscoveryResponse response, string[] names) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    private Task SendAsync(string typeUrl, string[] names, string version, string nonce)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce, Node = _node };
        request.ResourceNames.Add(names);
        _node = null; // set_node_on_first_message_only, as Envoy does
        return _call.RequestStream.WriteAsync(request);
    }
}

/// <summary>Counters shared by every simulated data plane of one scenario.</summary>
internal sealed class Fleet
{
    private readonly int _size;
    private readonly TaskCompletionSource _allSynced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _synced;
    private long _responsesDuringPush;
    private PushProbe? _probe;

    public Fleet(int size)
    {
        _size = size;
    }

    public Task AllSynced => _allSynced.Task;

    public int SyncedCount => Volatile.Read(ref _synced);

    public long ResponsesDuringPush => Interlocked.Read(ref _responsesDuringPush);

    public void Synced()
    {
        if (Interlocked.Increment(ref _synced) == _size)
        {
            _allSynced.TrySetResult();
        }
    }

    public PushProbe Arm()
    {
        var probe = new PushProbe(_size);
        Volatile.Write(ref _probe, probe);
        return probe;
    }

    public void RouteChanged(int index, long receivedAt, long ackedAt) => Volatile.Read(ref _probe)?.Record(index, receivedAt, ackedAt);

    public void ResponseDuringPush() => Interlocked.Increment(ref _responsesDuringPush);
}

/// <summary>When each data plane had ACKed the new route of one push.</summary>
internal sealed class PushProbe
{
    private readonly long[] _ackedAt;
    private readonly long[] _receivedAt;
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public PushProbe(int size)
    {
        _ackedAt = new long[size];
        _receivedAt = new long[size];
    }

    public Task All => _all.Task;

    public int Count => Volatile.Read(ref _count);

    public IReadOnlyList<long> AckedAt => _ackedAt;

    /// <summary>When each data plane received the new route (before its ACK went out).</summary>
    public IReadOnlyList<long> ReceivedAt => _receivedAt;

    public void Record(int index, long receivedAt, long ackedAt)
    {
        Volatile.Write(ref _receivedAt[index], receivedAt);
        if (Interlocked.CompareExchange(ref _ackedAt[index], ackedAt, 0) == 0 && Interlocked.Increment(ref _count) == _ackedAt.Length)
        {
            _all.TrySetResult();
        }
    }
}
