using System.Globalization;
using Envoy.Config.Core.V3;
using Google.Protobuf;
using Grpc.Core;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// One ADS stream. The gRPC reader feeds requests in; a single worker per stream builds responses from the
/// newest snapshot and writes them, one at a time. Snapshot changes only <see cref="Wake"/> the worker, so a
/// publisher never blocks on a socket, and a stream that does not read only stalls its own worker. Its
/// outbox is bounded by construction: at most one response per type in flight, the next one built from
/// whatever is newest when that one is answered (latest wins).
/// </summary>
internal abstract class AdsStream
{
    private readonly WakeSignal _wake = new();

    private readonly SnapshotCache _cache;
    private readonly IStreamObserver _observer;
    private HashSet<string>? _ignoredTypeUrls; // created when a client first asks for a type Baton does not serve
    private long _nonces;
    private bool _closed;

    protected AdsStream(long id, SnapshotCache cache, XdsMetrics metrics, IStreamObserver observer,
        TimeProvider time, XdsOptions options, ILogger logger)
    {
        Id = id;
        _cache = cache;
        Metrics = metrics;
        _observer = observer;
        Time = time;
        Logger = logger;
        ControlPlane = new ControlPlane { Identifier = options.ControlPlaneId };
        ConnectedAt = time.GetUtcNow();
        States = XdsTypeUrls.PushOrder.ToDictionary(t => t, t => new TypeState(t), StringComparer.Ordinal);
    }

    public long Id { get; }

    public abstract string Protocol { get; }

    public DateTimeOffset ConnectedAt { get; }

    protected Lock Gate { get; } = new();

    protected XdsMetrics Metrics { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected ControlPlane ControlPlane { get; }

    protected IReadOnlyDictionary<string, TypeState> States { get; }

    protected Node? Node { get; private set; }

    protected NodeView? View { get; private set; }

    public void Wake() => _wake.Set();

    /// <summary>
    /// Writes responses until the stream is closed (<see cref="MarkClosed"/>) or a write fails; the only writer
    /// of this stream. The token cancels a write in progress.
    /// </summary>
    public async Task RunWorkerAsync<TResponse>(IServerStreamWriter<TResponse> writer, CancellationToken cancellationToken)
        where TResponse : class, IMessage
    {
        while (await _wake.WaitAsync().ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (NextResponse() is TResponse response)
            {
                await writer.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void MarkClosed()
    {
        lock (Gate)
        {
            _closed = true;
        }
        _wake.Complete();
        _observer.OnClosed(this);
    }

    /// <summary>Whether this data plane routes the app: it sees the app and subscribes to the app's route.</summary>
    public bool RoutesApp(string app, string routeName)
    {
        lock (Gate)
        {
            return !_closed && View is { } view && view.Includes(app) && States[XdsTypeUrls.Route].Covers(routeName);
        }
    }

    /// <summary>
    /// Where this data plane stands with <paramref name="expected"/> (a route and the clusters and endpoints it
    /// references): ACKed once it holds each at that generation or newer, NACKed once it refused one of them.
    /// Resources it does not subscribe to do not count; a proxyless client asks for clusters only after the route.
    /// </summary>
    public DataPlaneConfirmation Confirmation(IReadOnlyList<CachedResource> expected)
    {
        lock (Gate)
        {
            var nodeId = Node?.Id ?? "";
            if (_closed)
            {
                return new DataPlaneConfirmation(Id, nodeId, DataPlaneState.Disconnected, null);
            }
            // A client that subscribes by name (proxyless gRPC; Envoy for endpoints) asks for the clusters and
            // endpoints of a route only once it has the route, and follows the route only once it holds them
            // (grpc-js keeps routing on the old route until then). So where the client takes the route, the
            // clusters and endpoints it references are awaited too, subscribed yet or not: an ACK of the route
            // alone does not mean the new weights are in effect.
            var takesRoute = expected.Any(r => r.TypeUrl == XdsTypeUrls.Route && States[r.TypeUrl].Covers(r.Name));
            var awaited = expected
                .Where(r => (States[r.TypeUrl].Covers(r.Name)
                        || (takesRoute && r.TypeUrl is XdsTypeUrls.Cluster or XdsTypeUrls.Endpoint && States[r.TypeUrl].Requested))
                    && !(States[r.TypeUrl].Acked.TryGetValue(r.Name, out var held) && held.Generation >= r.Generation))
                .ToList();
            if (awaited.Count == 0)
            {
                return new DataPlaneConfirmation(Id, nodeId, DataPlaneState.Acked, null);
            }
            // Only a resource still awaited can have been refused: a NACKed SotW response also lists the
            // unchanged resources the client already holds (gRPC clients NACK the response but keep every
            // valid resource in it), and those must not turn a later step into a NACK.
            foreach (var resource in awaited)
            {
                if (States[resource.TypeUrl].LastNack is { } nack
                    && nack.RejectedGenerations.TryGetValue(resource.Name, out var rejected)
                    && rejected >= resource.Generation)
                {
                    var error = $"{XdsTypeUrls.ShortName(nack.TypeUrl)} version {nack.RejectedVersion} rejected: {nack.Message}";
                    return new DataPlaneConfirmation(Id, nodeId, DataPlaneState.Nacked, error);
                }
            }
            return new DataPlaneConfirmation(Id, nodeId, DataPlaneState.Pending, null);
        }
    }

    public XdsStreamStatus Status()
    {
        lock (Gate)
        {
            return new XdsStreamStatus(
                Id,
                Protocol,
                Node?.Id ?? "",
                Node?.Cluster ?? "",
                View?.Apps,
                ConnectedAt,
                XdsTypeUrls.PushOrder.Select(t => States[t].ToStatus()).ToList(),
                _ignoredTypeUrls?.ToList() ?? []);
        }
    }

    /// <summary>Called by the reader after handling a request outside the lock.</summary>
    protected void AfterRequest(bool ackStateMoved)
    {
        if (ackStateMoved)
        {
            _observer.OnProgress(this);
        }
        Wake();
    }

    protected abstract IMessage? BuildResponse(TypeState state, MakeBeforeBreakPlanner.Plan plan, XdsSnapshot snapshot);

    private IMessage? NextResponse()
    {
        lock (Gate)
        {
            if (_closed || View is null)
            {
                return null;
            }
            var snapshot = _cache.Current;
            var plan = MakeBeforeBreakPlanner.Compute(snapshot, View, States);
            foreach (var typeUrl in XdsTypeUrls.PushOrder)
            {
                var state = States[typeUrl];
                if (!state.Requested || state.Outstanding is not null)
                {
                    continue;
                }
                var response = BuildResponse(state, plan, snapshot);
                if (response is not null)
                {
                    state.Answered = true;
                    state.ResponsesSent++;
                    state.LastNonce = state.Outstanding!.Nonce;
                    Metrics.Pushed(typeUrl);
                    return response;
                }
            }
            return null;
        }
    }

    protected string NextNonce() => (++_nonces).ToString(CultureInfo.InvariantCulture);

    /// <summary>Takes the node from the first request; later requests may omit it (set_node_on_first_message_only).</summary>
    protected void AcceptNode(Node? node)
    {
        if (Node is not null)
        {
            return;
        }
        if (node is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first request on an ADS stream must carry node"));
        }
        try
        {
            View = NodeView.For(node);
        }
        catch (ArgumentException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        Node = node.Clone();
    }

    /// <summary>
    /// Resolves the request's type. An ADS request must name its type; a type Baton does not serve is
    /// ignored (recorded on the stream and counted) so the client's other types keep working.
    /// </summary>
    protected bool TryGetState(string typeUrl, out TypeState state)
    {
        if (string.IsNullOrEmpty(typeUrl))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "type_url is required on an aggregated (ADS) stream"));
        }
        if (States.TryGetValue(typeUrl, out var found))
        {
            state = found;
            return true;
        }
        _ignoredTypeUrls ??= new HashSet<string>(StringComparer.Ordinal);
        if (_ignoredTypeUrls.Count < 64 && _ignoredTypeUrls.Add(typeUrl))
        {
            Logger.LogWarning("xDS stream {StreamId} (node {NodeId}) asked for type {TypeUrl}, which Baton does not serve; ignoring it",
                Id, Node?.Id, typeUrl);
        }
        Metrics.Ignored();
        state = null!;
        return false;
    }

    /// <summary>
    /// The part of ACK/NACK handling both protocols share: a request answering the response still
    /// outstanding for its type is its ACK (no error detail) or NACK. False when the nonce is not
    /// that response's: what a stale nonce means differs between SotW and delta.
    /// </summary>
    protected bool TryAnswerOutstanding(TypeState state, string nonce, Google.Rpc.Status? error, bool fullState)
    {
        if (state.Outstanding is not { } outstanding || outstanding.Nonce != nonce) return false;
        if (error is not null) RecordNack(state, outstanding, error);
        else RecordAck(state, outstanding, fullState);
        return true;
    }

    protected void RecordAck(TypeState state, OutstandingResponse response, bool fullState)
    {
        var latency = Time.GetElapsedTime(response.SentTimestamp);
        if (fullState)
        {
            state.Acked.Clear();
        }
        foreach (var name in response.Removals)
        {
            state.Acked.Remove(name);
        }
        foreach (var (name, resource) in response.Upserts)
        {
            if (state.Wants(resource))
            {
                state.Acked[name] = resource;
            }
            state.ClearRejected(name);
        }
        state.LastAckedVersion = response.Version;
        state.LastAckedAt = Time.GetUtcNow();
        state.Acks++;
        state.Outstanding = null;
        Metrics.Acked(state.TypeUrl, latency);
    }

    protected void RecordNack(TypeState state, OutstandingResponse response, Google.Rpc.Status error)
    {
        var latency = Time.GetElapsedTime(response.SentTimestamp);
        state.LastNack = new NackRecord(
            state.TypeUrl,
            response.Version,
            response.Nonce,
            error.Code,
            error.Message,
            Time.GetUtcNow(),
            response.Upserts.ToDictionary(p => p.Key, p => p.Value.Generation, StringComparer.Ordinal));
        foreach (var (name, resource) in response.Upserts)
        {
            state.Rejected[name] = resource.Version;
        }
        state.Nacks++;
        state.Outstanding = null;
        Metrics.Nacked(state.TypeUrl, latency);
        Logger.LogWarning("xDS stream {StreamId} (node {NodeId}) rejected {Type} version {Version}: {Message}",
            Id, Node?.Id, XdsTypeUrls.ShortName(state.TypeUrl), response.Version, error.Message);
    }

    protected void RecordStale(TypeState state, string nonce)
    {
        state.StaleRequests++;
        Metrics.Stale(state.TypeUrl);
        Logger.LogDebug("xDS stream {StreamId} ignored a {Type} request with stale nonce {Nonce}",
            Id, XdsTypeUrls.ShortName(state.TypeUrl), nonce);
    }
}
