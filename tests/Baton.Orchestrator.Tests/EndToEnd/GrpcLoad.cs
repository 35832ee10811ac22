using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Baton.Orchestrator.Tests.Conformance;
using Baton.Orchestrator.Tests.Conformance.Echo;
using Grpc.Core;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// gRPC traffic through a proxy's public port: Grpc.Net.Client calling ReleaseEcho.Which in cleartext
/// HTTP/2 (prior knowledge, as gRPC clients do) on 127.0.0.1, counted per release that answered. The
/// shape (<see cref="GrpcLoadShape"/>) mixes quick calls, calls the app holds for seconds (request
/// metadata `slow-ms`, read by tests/conformance/release-server.js) so some call is mid-way at every
/// switch of weights and during the drain, and calls on a new connection each.
/// </summary>
/// <remarks>
/// Nothing is retried: the channels have no service config, so no retry or hedging policy, and every
/// call is sent once. SocketsHttpHandler itself resends a request the server refused before reading it
/// (GOAWAY, REFUSED_STREAM); on a fresh connection that shows as a channel opening a second one
/// (<see cref="GrpcLoadTotals.ChannelConnectionsOpened"/>), since a channel's pool keeps its one
/// connection for ever.
/// </remarks>
internal sealed class GrpcLoad : IAsyncDisposable
{
    /// <summary>Only stops a hang: no call of this load should come near it (the route's timeout is 15 s).</summary>
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(60);

    private readonly Uri _address;
    private readonly GrpcLoadShape _shape;
    private readonly Stopwatch _running = Stopwatch.StartNew();
    private readonly LoadWorkers _workers = new();
    private readonly List<GrpcChannel> _channels = [];
    private readonly LoadWindows _windows = new(CallLimit);
    private readonly TallyCounter _calls = new();
    private readonly TallyCounter _longCalls = new();
    private readonly ConcurrentQueue<LongCall> _finishedLongCalls = new();
    private long _started;
    private long _longStarted;
    private long _channelConnectionsOpened;
    private int _limitReached;

    private GrpcLoad(int port, GrpcLoadShape shape)
    {
        _address = new Uri($"http://127.0.0.1:{port}");
        _shape = shape;
    }

    /// <summary>Starts every worker at once; the proxy must already route the app on <paramref name="port"/>, or the first calls fail.</summary>
    public static GrpcLoad Start(int port, GrpcLoadShape? shape = null)
    {
        var load = new GrpcLoad(port, shape ?? new GrpcLoadShape());
        var clients = Enumerable.Range(0, load._shape.Channels).Select(_ => new ReleaseEcho.ReleaseEchoClient(load.NewChannel(countConnections: true))).ToList();
        foreach (var client in clients)
        {
            for (var i = 0; i < load._shape.QuickWorkersPerChannel; i++) load._workers.Start(() => load.QuickLoopAsync(client));
        }
        for (var i = 0; i < load._shape.LongCallWorkers; i++)
        {
            var client = clients[i % clients.Count];
            load._workers.Start(() => load.LongCallLoopAsync(client));
        }
        for (var i = 0; i < load._shape.NewChannelWorkers; i++) load._workers.Start(load.NewChannelLoopAsync);
        return load;
    }

    /// <summary>
    /// The next <paramref name="calls"/> quick calls started from now (with <paramref name="maxMilliseconds"/>:
    /// only those started within that time), once they have all finished.
    /// </summary>
    public Task<ClientTally> WindowAsync(int calls, int? maxMilliseconds = null) => _windows.WindowAsync(calls, maxMilliseconds);

    /// <summary>What was counted so far (calls in flight are not, yet).</summary>
    public GrpcLoadTotals Totals() => new(_calls.Snapshot(), _longCalls.Snapshot(), Interlocked.Read(ref _longStarted),
        Interlocked.Read(ref _channelConnectionsOpened), _shape.Channels, Volatile.Read(ref _limitReached) == 1);

    /// <summary>
    /// The long calls that were in flight from <paramref name="from"/> to <paramref name="until"/> (started
    /// before, finished after), e.g. across a switch of weights: from the step's apply to its ACK.
    /// </summary>
    public IReadOnlyList<LongCall> LongCallsAcross(DateTimeOffset from, DateTimeOffset until) =>
        _finishedLongCalls.Where(c => c.Started < from && c.Ended > until).ToList();

    /// <summary>Stops starting calls; the ones in flight (long ones included) run to their end and are counted.</summary>
    public async Task<GrpcLoadTotals> StopAsync()
    {
        await _workers.StopAsync();
        return Totals();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _workers.DisposeAsync();
        }
        finally
        {
            foreach (var channel in _channels) channel.Dispose();
        }
    }

    private GrpcChannel NewChannel(bool countConnections)
    {
        var handler = new SocketsHttpHandler
        {
            // A channel's one connection must live across every switch of releases.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // Every call of a channel, long or quick, is a stream on the same connection.
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
        };
        if (countConnections) handler.ConnectCallback = CountedConnections.Callback(() => Interlocked.Increment(ref _channelConnectionsOpened));
        var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        if (countConnections) _channels.Add(channel);
        return channel;
    }

    /// <summary>Whether a worker may start one more call: not once stopped, nor past the shape's call or time limit.</summary>
    private bool MayStartCall()
    {
        if (_workers.Stopping) return false;
        if (_running.Elapsed.TotalSeconds < _shape.MaxSeconds && Interlocked.Increment(ref _started) <= _shape.MaxCalls) return true;
        Interlocked.Exchange(ref _limitReached, 1);
        return false;
    }

    private async Task QuickLoopAsync(ReleaseEcho.ReleaseEchoClient client)
    {
        while (MayStartCall())
        {
            _calls.Record(await _windows.CountAsync(() => CallAsync(client, holdMs: 0)));
            await PauseAsync();
        }
    }

    private async Task LongCallLoopAsync(ReleaseEcho.ReleaseEchoClient client)
    {
        while (MayStartCall())
        {
            var holdMs = Random.Shared.Next(_shape.LongCallMinMs, _shape.LongCallMaxMs + 1);
            Interlocked.Increment(ref _longStarted);
            var started = DateTimeOffset.UtcNow;
            var outcome = await CallAsync(client, holdMs);
            _finishedLongCalls.Enqueue(new LongCall(started, DateTimeOffset.UtcNow, outcome));
            _longCalls.Record(outcome);
        }
    }

    private async Task NewChannelLoopAsync()
    {
        while (MayStartCall())
        {
            using (var channel = NewChannel(countConnections: false))
            {
                _calls.Record(await _windows.CountAsync(() => CallAsync(new ReleaseEcho.ReleaseEchoClient(channel), holdMs: 0)));
            }
            await PauseAsync();
        }
    }

    private async Task PauseAsync()
    {
        try
        {
            await Task.Delay(_shape.PauseMs, _workers.StopToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop ends at its next check.
        }
    }

    /// <summary>One Which call, never cancelled by the stop: it runs to its end and is counted.</summary>
    private static async Task<HttpOutcome> CallAsync(ReleaseEcho.ReleaseEchoClient client, int holdMs)
    {
        var what = holdMs > 0 ? $"Which held {holdMs} ms" : "Which";
        var headers = holdMs > 0 ? new Metadata { { "slow-ms", holdMs.ToString(CultureInfo.InvariantCulture) } } : null;
        try
        {
            var reply = await client.WhichAsync(new WhichRequest(), headers, deadline: DateTime.UtcNow + CallLimit);
            return reply.Version.Length == 0
                ? HttpOutcome.Failed("no version", $"{what} answered without a version: {reply}")
                : HttpOutcome.Answered(reply.Version, reply.Instance);
        }
        catch (RpcException e)
        {
            // A release that failed the call on purpose names itself in the trailers; the proxy's own answers do not.
            return HttpOutcome.Failed(e.StatusCode.ToString(), $"{what}: {e.StatusCode}: {e.Status.Detail}", e.Trailers.GetValue("baton-release"));
        }
    }
}

/// <summary>One long call of a <see cref="GrpcLoad"/>: when it was sent, when its answer (or failure) came, and which.</summary>
internal sealed record LongCall(DateTimeOffset Started, DateTimeOffset Ended, HttpOutcome Outcome);
