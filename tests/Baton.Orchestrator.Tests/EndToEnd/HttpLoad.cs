using System.Net;
using System.Text.Json;
using Baton.Orchestrator.Tests.Conformance;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// HTTP traffic through a proxy's public port, counted per release that answered (every hello body
/// names its version). Keep-alive workers call `GET /` back to back, each on one connection of its own
/// for the whole run; long-request workers always hold a `GET /slow?ms=N` in flight, so some request is
/// mid-way at every switch of weights and during the drain; new-connection workers send `GET /` with
/// `Connection: close`. Nothing is retried by this code, and since a keep-alive worker's pool holds its
/// one connection for ever, a retry SocketsHttpHandler would make on a fresh connection after a reused
/// one broke shows as a second connection opened (<see cref="HttpLoadTotals.KeptConnectionsOpened"/>).
/// </summary>
internal sealed class HttpLoad : IAsyncDisposable
{
    /// <summary>Only stops a hang: the route's request_timeout (30 s in the test specs) answers first.</summary>
    private static readonly TimeSpan RequestLimit = TimeSpan.FromSeconds(60);

    private readonly Uri _baseUri;
    private readonly HttpLoadShape _shape;
    private readonly LoadWorkers _workers = new();
    private readonly List<HttpClient> _clients = [];
    private readonly LoadWindows _windows = new(RequestLimit);
    private readonly TallyCounter _calls = new();
    private readonly TallyCounter _longRequests = new();
    private long _longStarted;
    private long _keptConnectionsOpened;

    private HttpLoad(int port, HttpLoadShape shape)
    {
        _baseUri = new Uri($"http://127.0.0.1:{port}/");
        _shape = shape;
    }

    /// <summary>Starts every worker at once; the proxy must already serve <paramref name="port"/>, or the first calls fail.</summary>
    public static HttpLoad Start(int port, HttpLoadShape? shape = null)
    {
        var load = new HttpLoad(port, shape ?? new HttpLoadShape());
        for (var i = 0; i < load._shape.KeepAliveWorkers; i++)
        {
            var client = load.NewClient(countConnections: true);
            load._workers.Start(() => load.CallLoopAsync(client, closeConnection: false));
        }
        for (var i = 0; i < load._shape.NewConnectionWorkers; i++)
        {
            var client = load.NewClient(countConnections: false);
            load._workers.Start(() => load.CallLoopAsync(client, closeConnection: true));
        }
        for (var i = 0; i < load._shape.LongRequestWorkers; i++)
        {
            var client = load.NewClient(countConnections: true);
            load._workers.Start(() => load.LongRequestLoopAsync(client));
        }
        return load;
    }

    /// <summary>
    /// The next <paramref name="calls"/> `GET /` calls started from now (with <paramref name="maxMilliseconds"/>:
    /// only those started within that time), once they have all finished.
    /// </summary>
    public Task<ClientTally> WindowAsync(int calls, int? maxMilliseconds = null) => _windows.WindowAsync(calls, maxMilliseconds);

    /// <summary>What was counted so far (requests in flight are not, yet).</summary>
    public HttpLoadTotals Totals() => new(_calls.Snapshot(), _longRequests.Snapshot(), Interlocked.Read(ref _longStarted),
        Interlocked.Read(ref _keptConnectionsOpened), _shape.KeepAliveWorkers + _shape.LongRequestWorkers);

    /// <summary>Stops starting requests; the ones in flight (long ones included) run to their end and are counted.</summary>
    public async Task<HttpLoadTotals> StopAsync()
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
            foreach (var client in _clients) client.Dispose();
        }
    }

    private HttpClient NewClient(bool countConnections)
    {
        var handler = new SocketsHttpHandler
        {
            // A keep-alive worker's one connection must live across every switch of releases.
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        };
        if (countConnections)
        {
            handler.ConnectCallback = CountedConnections.Callback(() => Interlocked.Increment(ref _keptConnectionsOpened));
        }
        var client = new HttpClient(handler) { Timeout = RequestLimit };
        _clients.Add(client);
        return client;
    }

    private async Task CallLoopAsync(HttpClient client, bool closeConnection)
    {
        while (!_workers.Stopping)
        {
            _calls.Record(await _windows.CountAsync(() => SendAsync(client, "", closeConnection)));
            await PauseAsync(TimeSpan.FromMilliseconds(_shape.PauseMs));
        }
    }

    private async Task LongRequestLoopAsync(HttpClient client)
    {
        while (!_workers.Stopping)
        {
            var ms = Random.Shared.Next(_shape.LongRequestMinMs, _shape.LongRequestMaxMs + 1);
            Interlocked.Increment(ref _longStarted);
            _longRequests.Record(await SendAsync(client, $"slow?ms={ms}", closeConnection: false));
        }
    }

    private async Task PauseAsync(TimeSpan pause)
    {
        try
        {
            await Task.Delay(pause, _workers.StopToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop ends at its next check.
        }
    }

    /// <summary>One request, never cancelled by the stop: it runs to its end and is counted.</summary>
    private async Task<HttpOutcome> SendAsync(HttpClient client, string path, bool closeConnection)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, path));
        if (closeConnection) request.Headers.ConnectionClose = true;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var body = await response.Content.ReadAsStringAsync();
            var (version, pid) = Release(body);
            if (!response.IsSuccessStatusCode)
            {
                var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return HttpOutcome.Failed(status, $"{status} from /{path}: {body.Trim()}", version);
            }
            return version is null
                ? HttpOutcome.Failed("no version", $"/{path} answered {(int)response.StatusCode} without a version: {body.Trim()}")
                : HttpOutcome.Answered(version, $"{version} pid {pid}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return HttpOutcome.Failed(e.GetType().Name, $"/{path}: {e.GetType().Name}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}");
        }
    }

    /// <summary>The release a hello body names, and its pid; nulls for a body that is not one (the proxy's own replies).</summary>
    private static (string? Version, long? Pid) Release(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
            var version = json.RootElement.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var pid = json.RootElement.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt64() : (long?)null;
            return (version, pid);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
