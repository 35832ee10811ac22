using System.Net;
using Grpc.Net.Client;

namespace Baton.Bench.Xds;

/// <summary>
/// N simulated data planes over ceil(N / streamsPerConnection) HTTP/2 connections, one SocketsHttpHandler
/// (so one connection) per group: the handler never opens a second connection, so the count is exact.
/// </summary>
internal sealed class Swarm : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<FakeEnvoy> _envoys = [];
    private readonly List<Task> _runs = [];
    private readonly CancellationTokenSource _stop;
    private Exception? _failure;

    private Swarm(int size, CancellationToken cancellationToken)
    {
        Fleet = new Fleet(size);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public Fleet Fleet { get; }

    public int Connections => _channels.Count;

    /// <summary>The first stream failure, if any stream ended before the swarm was disposed.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public static async Task<Swarm> ConnectAsync(Uri address, int size, int streamsPerConnection, CancellationToken cancellationToken)
    {
        var swarm = new Swarm(size, cancellationToken);
        try
        {
            for (var c = 0; c < (size + streamsPerConnection - 1) / streamsPerConnection; c++)
            {
                var handler = new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = false,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                };
                swarm._channels.Add(GrpcChannel.ForAddress(address, new GrpcChannelOptions
                {
                    HttpHandler = handler,
                    DisposeHttpClient = true,
                    HttpVersion = HttpVersion.Version20,
                }));
            }
            const int batch = 200;
            for (var start = 0; start < size; start += batch)
            {
                var starting = new List<Task>();
                for (var i = start; i < Math.Min(size, start + batch); i++)
                {
                    var envoy = new FakeEnvoy(swarm._channels[i / streamsPerConnection], swarm.Fleet, i, swarm._stop.Token);
                    swarm._envoys.Add(envoy);
                    starting.Add(envoy.StartAsync());
                }
                await Task.WhenAll(starting).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
                for (var i = start; i < Math.Min(size, start + batch); i++)
                {
                    var envoy = swarm._envoys[i];
                    swarm._runs.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await envoy.RunAsync(swarm._stop.Token);
                            throw new InvalidOperationException("the server ended a stream");
                        }
                        catch (Exception e)
                        {
                            // Once the swarm is stopping, every stream ends with a cancellation: not a failure.
                            if (!swarm._stop.IsCancellationRequested)
                            {
                                Interlocked.CompareExchange(ref swarm._failure, e, null);
                            }
                        }
                    }, CancellationToken.None));
                }
            }
            return swarm;
        }
        catch
        {
            await swarm.DisposeAsync();
            throw;
        }
    }

    public void ThrowIfFailed()
    {
        if (Failure is { } failure)
        {
            throw new InvalidOperationException($"a simulated data plane failed: {failure.Message}", failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var envoy in _envoys)
        {
            envoy.Dispose();
        }
        try
        {
            await Task.WhenAll(_runs).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Cancelled streams end with a cancellation; a stuck one is cut when its connection is disposed.
        }
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        _stop.Dispose();
    }
}
