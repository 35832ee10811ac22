using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>A hand-driven state-of-the-world ADS stream: the test decides every request.</summary>
internal sealed class SotwClient : IAsyncDisposable
{
    /// <summary>Only to keep a broken server from hanging the run; no test relies on it for timing.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private readonly Node _node;
    private bool _nodeSent;

    public SotwClient(GrpcChannel channel, Node node)
    {
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
        _node = node;
    }

    public Task SendAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "",
        Google.Rpc.Status? error = null)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce, ErrorDetail = error };
        request.ResourceNames.Add(names ?? []);
        if (!_nodeSent)
        {
            request.Node = _node;
            _nodeSent = true;
        }
        return _call.RequestStream.WriteAsync(request);
    }

    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    public Task NackAsync(DiscoveryResponse response, string previousVersion, string message, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, previousVersion, response.Nonce, new Google.Rpc.Status { Code = 3, Message = message });

    public async Task<DiscoveryResponse> ReceiveAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        if (!await _call.ResponseStream.MoveNext(guard.Token))
        {
            throw new InvalidOperationException("the server ended the stream");
        }
        return _call.ResponseStream.Current;
    }

    /// <summary>Receives until a response of <paramref name="typeUrl"/> arrives and returns it.</summary>
    public async Task<DiscoveryResponse> ReceiveAsync(string typeUrl)
    {
        while (true)
        {
            var response = await ReceiveAsync();
            if (response.TypeUrl == typeUrl)
            {
                return response;
            }
        }
    }

    /// <summary>The status the server ended the stream with.</summary>
    public async Task<RpcException> ReceiveErrorAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await _call.ResponseStream.MoveNext(guard.Token))
            {
            }
        });
    }

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A hand-driven incremental ADS stream.</summary>
internal sealed class DeltaClient : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> _call;
    private readonly Node _node;
    private bool _nodeSent;

    public DeltaClient(GrpcChannel channel, Node node)
    {
        _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).DeltaAggregatedResources();
        _node = node;
    }

    public Task SendAsync(string typeUrl, IEnumerable<string>? subscribe = null, IEnumerable<string>? unsubscribe = null,
        string nonce = "", Google.Rpc.Status? error = null, IDictionary<string, string>? initialVersions = null)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error };
        request.ResourceNamesSubscribe.Add(subscribe ?? []);
        request.ResourceNamesUnsubscribe.Add(unsubscribe ?? []);
        if (initialVersions is not null)
        {
            request.InitialResourceVersions.Add(initialVersions);
        }
        if (!_nodeSent)
        {
            request.Node = _node;
            _nodeSent = true;
        }
        return _call.RequestStream.WriteAsync(request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);

    public async Task<DeltaDiscoveryResponse> ReceiveAsync()
    {
        using var guard = new CancellationTokenSource(SotwClient.HangGuard);
        if (!await _call.ResponseStream.MoveNext(guard.Token))
        {
            throw new InvalidOperationException("the server ended the stream");
        }
        return _call.ResponseStream.Current;
    }

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }
}
