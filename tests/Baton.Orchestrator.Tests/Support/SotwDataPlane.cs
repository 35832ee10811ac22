using Baton.Orchestrator.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>
/// A data plane that behaves like Envoy (LDS and CDS wildcard, then RDS/EDS for what those name) or like a
/// proxyless gRPC client (LDS for its targets, then RDS, then the clusters its routes name, then EDS). It
/// ACKs everything unless told to reject or to hold its ACKs, and logs every response in arrival order.
/// </summary>
internal sealed class SotwDataPlane : IAsyncDisposable
{
    private static readonly string[] Types = [XdsTypeUrls.Cluster, XdsTypeUrls.Endpoint, XdsTypeUrls.Listener, XdsTypeUrls.Route];

    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Node _node;
    private readonly string[]? _proxylessTargets;
    private readonly Func<DiscoveryResponse, string?> _reject;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<ReceivedResponse> _log = [];
    private readonly Dictionary<string, Dictionary<string, IMessage>> _held = Types.ToDictionary(t => t, _ => new Dictionary<string, IMessage>());
    private readonly Dictionary<string, string> _acceptedVersion = Types.ToDictionary(t => t, _ => "");
    private readonly Dictionary<string, string> _lastNonce = Types.ToDictionary(t => t, _ => "");
    private readonly Dictionary<string, string[]?> _sentNames = Types.ToDictionary(t => t, _ => (string[]?)null);
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<DiscoveryResponse> _heldBack = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _holdType;
    private bool _nodeSent;
    private Task _loop = Task.CompletedTask;

    private SotwDataPlane(GrpcChannel channel, Node node, string[]? proxylessTargets, Func<DiscoveryResponse, string?>? reject)
    {
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
        _node = node;
        _proxylessTargets = proxylessTargets;
        _reject = reject ?? (_ => null);
    }

    public string NodeId => _node.Id;

    public static async Task<SotwDataPlane> EnvoyAsync(GrpcChannel channel, Node node, Func<DiscoveryResponse, string?>? reject = null)
    {
        var plane = new SotwDataPlane(channel, node, null, reject);
        await plane.StartAsync();
        return plane;
    }

    public static async Task<SotwDataPlane> ProxylessAsync(GrpcChannel channel, Node node, params string[] targets)
    {
        var plane = new SotwDataPlane(channel, node, targets, null);
        await plane.StartAsync();
        return plane;
    }

    public IReadOnlyList<ReceivedResponse> Log
    {
        get
        {
            lock (_gate)
            {
                return _log.ToList();
            }
        }
    }

    public IReadOnlyDictionary<string, IMessage> Held(string typeUrl)
    {
        lock (_gate)
        {
            return new Dictionary<string, IMessage>(_held[typeUrl]);
        }
    }

    /// <summary>Cluster → weight of the route this data plane holds, or empty.</summary>
    public IReadOnlyDictionary<string, uint> Weights(string routeName) =>
        Held(XdsTypeUrls.Route).TryGetValue(routeName, out var message)
            ? ((RouteConfiguration)message).VirtualHosts.SelectMany(v => v.Routes)
                .SelectMany(r => r.Route_.WeightedClusters.Clusters).ToDictionary(c => c.Name, c => c.Weight ?? 0)
            : new Dictionary<string, uint>();

    /// <summary>From now on, responses of this type are received and logged but neither ACKed nor NACKed.</summary>
    public void HoldAcks(string typeUrl)
    {
        lock (_gate)
        {
            _holdType = typeUrl;
        }
    }

    /// <summary>Answers the held-back responses, in order, and stops holding.</summary>
    public async Task ReleaseAcksAsync()
    {
        List<DiscoveryResponse> held;
        lock (_gate)
        {
            _holdType = null;
            held = _heldBack.ToList();
            _heldBack.Clear();
        }
        foreach (var response in held)
        {
            await AnswerAsync(response);
        }
    }

    public async Task WaitUntilAsync(Func<SotwDataPlane, bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(SotwClient.HangGuard);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (condition(this))
            {
                return;
            }
            try
            {
                await changed.WaitAsync(guard.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"data plane {NodeId} never reached: {what}");
            }
        }
    }

    private async Task StartAsync()
    {
        await _turn.WaitAsync();
        try
        {
            await SendSubscriptionChangesAsync();
        }
        finally
        {
            _turn.Release();
        }
        _loop = Task.Run(ReceiveLoopAsync);
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(_stop.Token))
            {
                var response = _call.ResponseStream.Current;
                bool hold;
                lock (_gate)
                {
                    _log.Add(new ReceivedResponse(_log.Count, response.TypeUrl, response.VersionInfo, Unpack(response)));
                    hold = _holdType == response.TypeUrl;
                    if (hold)
                    {
                        _heldBack.Enqueue(response);
                    }
                }
                if (hold)
                {
                    Signal();
                    continue;
                }
                await AnswerAsync(response);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || _stop.IsCancellationRequested)
        {
            // Disposed by the test.
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed by the test.
        }
    }

    private async Task AnswerAsync(DiscoveryResponse response)
    {
        await _turn.WaitAsync();
        try
        {
            var error = _reject(response);
            var typeUrl = response.TypeUrl;
            lock (_gate)
            {
                _lastNonce[typeUrl] = response.Nonce;
                if (error is null)
                {
                    var resources = Unpack(response);
                    var held = _held[typeUrl];
                    if (typeUrl is XdsTypeUrls.Cluster or XdsTypeUrls.Listener)
                    {
                        held.Clear();
                    }
                    foreach (var (name, message) in resources)
                    {
                        held[name] = message;
                    }
                    _acceptedVersion[typeUrl] = response.VersionInfo;
                }
            }
            await SendAsync(typeUrl, CurrentNames(typeUrl), error is null
                ? null
                : new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = error });
            await SendSubscriptionChangesAsync();
        }
        finally
        {
            _turn.Release();
        }
        Signal();
    }

    private async Task SendSubscriptionChangesAsync()
    {
        foreach (var typeUrl in Types)
        {
            var names = CurrentNames(typeUrl);
            string[]? previous;
            lock (_gate)
            {
                previous = _sentNames[typeUrl];
                if (_heldBack.Any(r => r.TypeUrl == typeUrl))
                {
                    continue;
                }
            }
            if (names is null || (previous is not null && previous.SequenceEqual(names)))
            {
                continue;
            }
            await SendAsync(typeUrl, names, null);
        }
    }

    private async Task SendAsync(string typeUrl, string[]? names, Google.Rpc.Status? error)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, ErrorDetail = error };
        lock (_gate)
        {
            request.VersionInfo = _acceptedVersion[typeUrl];
            request.ResponseNonce = _lastNonce[typeUrl];
            request.ResourceNames.Add(names ?? []);
            _sentNames[typeUrl] = names ?? [];
            if (!_nodeSent)
            {
                request.Node = _node;
                _nodeSent = true;
            }
        }
        await _call.RequestStream.WriteAsync(request);
    }

    /// <summary>What this kind of client subscribes to now, or null when it does not ask for the type yet.</summary>
    private string[]? CurrentNames(string typeUrl)
    {
        lock (_gate)
        {
            var proxyless = _proxylessTargets is not null;
            switch (typeUrl)
            {
                case XdsTypeUrls.Listener:
                    return proxyless ? _proxylessTargets : [];
                case XdsTypeUrls.Cluster:
                    if (!proxyless)
                    {
                        return [];
                    }
                    var clusters = _held[XdsTypeUrls.Route].Values.Cast<RouteConfiguration>()
                        .SelectMany(r => r.VirtualHosts).SelectMany(v => v.Routes)
                        .SelectMany(r => r.Route_.WeightedClusters.Clusters).Select(c => c.Name).Distinct().Order().ToArray();
                    return clusters.Length == 0 && _sentNames[typeUrl] is null ? null : clusters;
                case XdsTypeUrls.Endpoint:
                    var services = _held[XdsTypeUrls.Cluster].Values.Cast<Cluster>()
                        .Select(c => c.EdsClusterConfig.ServiceName).Order().ToArray();
                    return services.Length == 0 && _sentNames[typeUrl] is null ? null : services;
                case XdsTypeUrls.Route:
                    var routes = _held[XdsTypeUrls.Listener].Values.Cast<Listener>()
                        .Select(ConnectionManagerOf).Select(h => h.Rds.RouteConfigName).Distinct().Order().ToArray();
                    return routes.Length == 0 && _sentNames[typeUrl] is null ? null : routes;
                default:
                    throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl, "not an xDS type this data plane speaks");
            }
        }
    }

    public static HttpConnectionManager ConnectionManagerOf(Listener listener) =>
        listener.ApiListener is { } api
            ? api.ApiListener_.Unpack<HttpConnectionManager>()
            : listener.FilterChains[0].Filters[0].TypedConfig.Unpack<HttpConnectionManager>();

    public static Dictionary<string, IMessage> Unpack(DiscoveryResponse response) =>
        response.Resources.Select(any => response.TypeUrl switch
        {
            XdsTypeUrls.Cluster => (IMessage)any.Unpack<Cluster>(),
            XdsTypeUrls.Endpoint => any.Unpack<ClusterLoadAssignment>(),
            XdsTypeUrls.Listener => any.Unpack<Listener>(),
            XdsTypeUrls.Route => any.Unpack<RouteConfiguration>(),
            _ => throw new InvalidOperationException($"unexpected type {response.TypeUrl}"),
        }).ToDictionary(NameOf);

    public static string NameOf(IMessage message) => message switch
    {
        Cluster c => c.Name,
        ClusterLoadAssignment a => a.ClusterName,
        Listener l => l.Name,
        RouteConfiguration r => r.Name,
        _ => throw new InvalidOperationException($"unexpected message {message.Descriptor.FullName}"),
    };

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _call.Dispose();
        _stop.Dispose();
        _turn.Dispose();
    }
}

/// <summary>One response as a data plane received it.</summary>
internal sealed record ReceivedResponse(int Sequence, string TypeUrl, string Version, IReadOnlyDictionary<string, IMessage> Resources);
