using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Baton.Demo;

/// <summary>What the traffic generator counted since it started.</summary>
internal sealed record TrafficTotals(long Requests, long Succeeded, long Failed, long LongRequests,
    IReadOnlyDictionary<string, long> PerRelease, IReadOnlyList<string> Errors);

/// <summary>
/// The demo's HTTP clients, all through baton-proxy's listener: a few keep-alive workers calling
/// <c>GET /</c> back to back (each connection stays open across every switch of releases, and no
/// request is ever retried), and one worker holding a <c>GET /slow?ms=1500</c> in flight at all
/// times, so some request is always mid-way when the weights move and when the old release drains.
/// Every answer names the release that served it.
/// </summary>
internal sealed class HttpTraffic : IAsyncDisposable
{
    private const int KeepAliveWorkers = 3;
    private const int MaxErrorsKept = 5;
    private static readonly TimeSpan PauseBetweenRequests = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongRequest = TimeSpan.FromMilliseconds(1500);

    private readonly HttpClient _client;
    private readonly Uri _baseUri;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, long> _perRelease = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly List<Task> _workers = [];
    private long _requests, _succeeded, _failed, _longRequests;

    private HttpTraffic(int port)
    {
        _baseUri = new Uri($"http://127.0.0.1:{port}/");
        _client = new HttpClient(new SocketsHttpHandler
        {
            // Connections live as long as the demo: a switch of releases must not need a new one.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public static HttpTraffic Start(int port)
    {
        var traffic = new HttpTraffic(port);
        for (var i = 0; i < KeepAliveWorkers; i++) traffic._workers.Add(Task.Run(() => traffic.CallLoopAsync("", traffic._stop.Token)));
        traffic._workers.Add(Task.Run(() => traffic.CallLoopAsync($"slow?ms={(int)LongRequest.TotalMilliseconds}", traffic._stop.Token)));
        return traffic;
    }

    public TrafficTotals Totals() => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed),
        Interlocked.Read(ref _longRequests), new Dictionary<string, long>(_perRelease), _errors.ToArray());

    /// <summary>Stops sending; the requests in flight finish and are counted.</summary>
    public async Task<TrafficTotals> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        return Totals();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task CallLoopAsync(string path, CancellationToken stop)
    {
        var isLong = path.Length > 0;
        while (!stop.IsCancellationRequested)
        {
            // The request itself is never cancelled by the stop: it runs to its end and is counted.
            await CallAsync(path, isLong);
            if (!isLong)
            {
                try
                {
                    await Task.Delay(PauseBetweenRequests, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task CallAsync(string path, bool isLong)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            using var response = await _client.GetAsync(new Uri(_baseUri, path), HttpCompletionOption.ResponseContentRead);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Fail($"{(int)response.StatusCode} from /{path}: {body.Trim()}");
                return;
            }
            var version = JsonDocument.Parse(body).RootElement.GetProperty("version").GetString() ?? "?";
            _perRelease.AddOrUpdate(version, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _succeeded);
            if (isLong) Interlocked.Increment(ref _longRequests);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            Fail($"/{path}: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Fail(string error)
    {
        Interlocked.Increment(ref _failed);
        if (_errors.Count < MaxErrorsKept) _errors.Enqueue(error);
    }
}
