using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Baton.Bench.Http;

/// <summary>
/// The bench's own load generator for keep-alive clients that never retry. hey cannot be one: it is
/// Go, and Go's net/http Transport sends an idempotent request again on a new connection when a
/// reused keep-alive connection fails before any response byte (transport.go, shouldRetryRequest),
/// which hides exactly the failures a reload causes. Shaped like hey's `-n N -c C -q Q`: C workers,
/// each with N/C requests, each paced to Q requests/s; but each worker owns ONE connection
/// (<see cref="RawHttpConnection"/>) and every request is sent once. A request fails when the
/// connect is refused, the connection is reset or closed before or during the response, or no whole
/// response comes within <see cref="Timeout"/>; the worker then drops the connection and opens a new
/// one for its next request (as it does after `Connection: close`). Every request is recorded.
/// </summary>
internal static class NoRetryLoad
{
    /// <summary>Per-request timeout (connect included when the request needs a new connection), as hey's `-t 10`.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<LoadRun> RunAsync(string url, LoadProfile profile, CancellationToken cancel)
    {
        if (!url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
            throw new InvalidOperationException($"the load generator only targets 127.0.0.1, not {url}");
        var server = new IPEndPoint(IPAddress.Loopback, new Uri(url).Port);
        var perWorker = profile.Requests / profile.Workers;
        var interval = TimeSpan.FromSeconds(1.0 / profile.RatePerWorker);
        // Offsets count from here, the moment the caller starts the load: SwitchRunner places the switch on this clock.
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, profile.Workers).Select(_ => Task.Run(() => WorkerAsync(server, perWorker, interval, clock, cancel), cancel)).ToList();
        var answered = new List<AnsweredRequest>();
        var errors = new List<FailedRequest>();
        foreach (var (a, e) in await Task.WhenAll(workers))
        {
            answered.AddRange(a);
            errors.AddRange(e);
        }
        answered.Sort((x, y) => x.OffsetMs.CompareTo(y.OffsetMs));
        errors.Sort((x, y) => x.OffsetMs.CompareTo(y.OffsetMs));
        return new LoadRun(perWorker * profile.Workers, answered, errors);
    }

    private static async Task<(List<AnsweredRequest>, List<FailedRequest>)> WorkerAsync(IPEndPoint server, int requests, TimeSpan interval, Stopwatch clock, CancellationToken cancel)
    {
        var answered = new List<AnsweredRequest>(requests);
        var errors = new List<FailedRequest>();
        // Like hey's time.Tick: a tick missed while a request was slow is dropped, not made up in a burst.
        using var pace = new PeriodicTimer(interval);
        RawHttpConnection? connection = null;
        try
        {
            for (var i = 0; i < requests; i++)
            {
                await pace.WaitForNextTickAsync(cancel);
                var startMs = clock.Elapsed.TotalMilliseconds;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(Timeout);
                try
                {
                    connection ??= await RawHttpConnection.OpenAsync(server, timeout.Token);
                    var status = await connection.GetAsync(timeout.Token);
                    answered.Add(new AnsweredRequest(startMs, clock.Elapsed.TotalMilliseconds - startMs, status));
                    if (connection.Closing)
                    {
                        connection.Dispose();
                        connection = null;
                    }
                }
                catch (Exception e) when (Classify(e, cancel) is { } kind)
                {
                    errors.Add(new FailedRequest(startMs, clock.Elapsed.TotalMilliseconds - startMs, kind));
                    // Not retried: the next request (at its own tick) gets a new connection.
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
        return (answered, errors);
    }

    /// <summary>The failure a client would see, or null for the bench's own cancellation (which ends the run).</summary>
    private static RequestError? Classify(Exception e, CancellationToken cancel) => e switch
    {
        OperationCanceledException when cancel.IsCancellationRequested => null,
        OperationCanceledException => RequestError.Timeout,
        RequestFailedException failed => failed.Kind,
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => RequestError.Refused,
        SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown } => RequestError.Reset,
        SocketException => RequestError.OtherSocketError,
        FormatException or OverflowException => RequestError.BadResponse,
        _ => null,
    };
}
