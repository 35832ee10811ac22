using Baton.Agent.Probes;
using Baton.Protos.Agent.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Baton.Agent.Tests.Probes;

public sealed class ProbeRunnerTests : IDisposable
{
    private readonly HttpClient _http = ProbeCheckFactory.CreateHttpClient();
    private readonly ProbeCheckFactory _checks;

    public ProbeRunnerTests() => _checks = new ProbeCheckFactory(_http);

    public void Dispose() => _http.Dispose();

    private static Probe HttpProbe(uint success = 1, uint failure = 1, uint intervalMs = 50, uint timeoutMs = 5000) => new()
    {
        Http = new HttpProbe { Path = "/ready" },
        IntervalMs = intervalMs,
        TimeoutMs = timeoutMs,
        SuccessThreshold = success,
        FailureThreshold = failure,
    };

    private static async Task DisposeWithPatienceAsync(ProbeRunner runner) =>
        await runner.DisposeAsync().AsTask().WaitAsync(VerdictLog.Patience);

    [Fact]
    public async Task ThresholdsAreCountedAndOnlyChangesAreReported()
    {
        await using var server = await HttpTestServer.StartAsync();
        // Requests 1-14; then 200 for ever. With 3 passes to turn healthy and 2 failures to turn
        // unhealthy, the verdict flips at request 6 (healthy), 8 (unhealthy) and 14 (healthy);
        // 10-11 fail twice more while already unhealthy, which must not be reported again.
        server.Script(200, 200, 503, 200, 200, 200, 503, 503, 200, 503, 503, 200, 200);
        var log = new VerdictLog(() => server.Requests);

        var runner = ProbeRunner.Start(HttpProbe(success: 3, failure: 2), server.Port, _checks, log.Record);
        try
        {
            Assert.Equal((new ProbeVerdict(true, "HTTP 200"), 6), await log.NextAsync());
            Assert.Equal((new ProbeVerdict(false, "HTTP 503"), 8), await log.NextAsync());
            Assert.Equal((new ProbeVerdict(true, "HTTP 200"), 14), await log.NextAsync());
            await Eventually.TrueAsync(() => server.Requests >= 20, "more passing checks");
        }
        finally
        {
            await DisposeWithPatienceAsync(runner);
        }
        Assert.Equal(3, log.Count);
        Assert.Equal(new ProbeVerdict(true, "HTTP 200"), runner.Current);
    }

    [Fact]
    public async Task UnhealthyFromTheStartOnlyAfterTheFailureThreshold()
    {
        await using var server = await HttpTestServer.StartAsync();
        server.Status = 503;
        var log = new VerdictLog(() => server.CountOf(503));

        await using var runner = ProbeRunner.Start(HttpProbe(failure: 3), server.Port, _checks, log.Record);
        Assert.Equal((new ProbeVerdict(false, "HTTP 503"), 3), await log.NextAsync());
        Assert.Equal(new ProbeVerdict(false, "HTTP 503"), runner.Current);
    }

    [Fact]
    public async Task TcpProbeOnTheInstancePortGoesUnhealthyWhenTheAppGoes()
    {
        var server = new SilentTcpServer();
        var log = new VerdictLog();
        var probe = new Probe { Tcp = new TcpProbe(), IntervalMs = 50 };
        await using var runner = ProbeRunner.Start(probe, server.Port, _checks, log.Record);
        try
        {
            Assert.Equal(new ProbeVerdict(true, "connected"), (await log.NextAsync()).Verdict);
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.Equal(new ProbeVerdict(false, "connect refused"), (await log.NextAsync()).Verdict);
    }

    [Fact]
    public async Task GrpcProbeFollowsTheHealthService()
    {
        await using var server = await GrpcHealthTestServer.StartAsync();
        server.Health.SetStatus("baton.Web", ServingStatus.Serving);
        var log = new VerdictLog();
        var probe = new Probe { Grpc = new GrpcProbe { Service = "baton.Web" }, IntervalMs = 50 };

        await using var runner = ProbeRunner.Start(probe, server.Port, _checks, log.Record);
        Assert.Equal(new ProbeVerdict(true, "SERVING"), (await log.NextAsync()).Verdict);
        server.Health.SetStatus("baton.Web", ServingStatus.NotServing);
        Assert.Equal(new ProbeVerdict(false, "NOT_SERVING"), (await log.NextAsync()).Verdict);
        server.Health.ClearStatus("baton.Web");
        server.Health.SetStatus("baton.Web", ServingStatus.Serving);
        Assert.Equal(new ProbeVerdict(true, "SERVING"), (await log.NextAsync()).Verdict);
    }

    [Fact]
    public async Task GrpcProbeOfAnUnknownServiceIsUnhealthy()
    {
        await using var server = await GrpcHealthTestServer.StartAsync();
        var log = new VerdictLog();
        var probe = new Probe { Grpc = new GrpcProbe { Service = "nobody" }, IntervalMs = 50, FailureThreshold = 2 };

        await using var runner = ProbeRunner.Start(probe, server.Port, _checks, log.Record);
        Assert.Equal(new ProbeVerdict(false, "unknown service \"nobody\""), (await log.NextAsync()).Verdict);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("grpc")]
    public async Task ACheckThatOutlivesTheTimeoutFails(string kind)
    {
        await using var server = new SilentTcpServer();
        var log = new VerdictLog();
        var probe = new Probe { IntervalMs = 50, TimeoutMs = 200, FailureThreshold = 2 };
        if (kind == "http") probe.Http = new HttpProbe();
        else probe.Grpc = new GrpcProbe();

        await using var runner = ProbeRunner.Start(probe, server.Port, _checks, log.Record);
        Assert.Equal(new ProbeVerdict(false, "timed out after 200 ms"), (await log.NextAsync()).Verdict);
        Assert.True(server.Accepted >= 1);
    }

    [Fact]
    public async Task DisposeStopsTheChecks()
    {
        await using var server = await HttpTestServer.StartAsync();
        var log = new VerdictLog();
        var runner = ProbeRunner.Start(HttpProbe(), server.Port, _checks, log.Record);
        try
        {
            await log.NextAsync();
            await Eventually.TrueAsync(() => server.Requests >= 5, "repeated checks");
        }
        finally
        {
            await DisposeWithPatienceAsync(runner);
        }

        var seen = server.Requests;
        server.Status = 503;
        // About ten intervals: a runner still going would have checked, and reported, by now.
        await Task.Delay(500);
        // At most one more: the request of a check cancelled by dispose may reach the server's
        // handler after its bytes were sent, even though the probe already gave up on it.
        Assert.InRange(server.Requests, seen, seen + 1);
        Assert.Equal(1, log.Count);
    }

    [Fact]
    public async Task DisposeCancelsTheCheckInFlight()
    {
        await using var server = new SilentTcpServer();
        var log = new VerdictLog();
        var settings = new ProbeSettings(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.FromHours(1), 1, 1);
        var runner = ProbeRunner.Start(settings, new HttpProbeCheck(_http, server.Port, "/"), log.Record);
        try
        {
            await Eventually.TrueAsync(() => server.Accepted == 1, "the first check to connect");
        }
        finally
        {
            await DisposeWithPatienceAsync(runner);
        }

        // The only check was stuck on that connection, so nothing else can have been sent.
        await Task.Delay(300);
        Assert.Equal(1, server.Accepted);
        Assert.Equal(0, log.Count);
        Assert.Null(runner.Current);
    }

    [Fact]
    public async Task DisposeFromInsideTheCallbackStopsAtOnce()
    {
        await using var server = await HttpTestServer.StartAsync();
        var started = new TaskCompletionSource<ProbeRunner>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requestsAtCallback = -1;
        var disposeCompletedInline = false;
        var callbacks = 0;

        var runner = ProbeRunner.Start(HttpProbe(), server.Port, _checks, _ =>
        {
            Interlocked.Increment(ref callbacks);
            requestsAtCallback = server.Requests;
            var self = started.Task.Wait(VerdictLog.Patience) ? started.Task.Result : throw new TimeoutException();
            disposeCompletedInline = self.DisposeAsync().IsCompleted;
        });
        started.SetResult(runner);

        await Eventually.TrueAsync(() => Volatile.Read(ref callbacks) == 1, "the first verdict");
        await DisposeWithPatienceAsync(runner);

        Assert.True(disposeCompletedInline);
        Assert.Equal(1, requestsAtCallback);
        Assert.Equal(1, server.Requests);
        Assert.Equal(1, callbacks);
    }

    [Fact]
    public async Task InitialDelayHoldsTheFirstCheckAndDisposeEndsTheWait()
    {
        await using var server = await HttpTestServer.StartAsync();
        var log = new VerdictLog();
        var probe = HttpProbe();
        probe.InitialDelayMs = ProbeValidator.MaxDurationMs;

        var runner = ProbeRunner.Start(probe, server.Port, _checks, log.Record);
        await Task.Delay(300);
        await DisposeWithPatienceAsync(runner);

        Assert.Equal(0, server.Requests);
        Assert.Equal(0, log.Count);
    }

    [Fact]
    public async Task AFailingCallbackDoesNotStopTheProbe()
    {
        await using var server = await HttpTestServer.StartAsync();
        var log = new VerdictLog();
        await using var runner = ProbeRunner.Start(HttpProbe(), server.Port, _checks, verdict =>
        {
            log.Record(verdict);
            throw new InvalidOperationException("subscriber bug");
        });

        Assert.True((await log.NextAsync()).Verdict.Healthy);
        server.Status = 500;
        Assert.Equal(new ProbeVerdict(false, "HTTP 500"), (await log.NextAsync()).Verdict);
    }

    [Fact]
    public async Task ACheckThatThrowsCountsAsAFailureAndIsDisposedWithTheRunner()
    {
        // No real check throws (they report failures), so this one is made up for the purpose.
        var check = new ThrowingCheck();
        var log = new VerdictLog(() => check.Calls);
        var settings = new ProbeSettings(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), 1, 2);

        var runner = ProbeRunner.Start(settings, check, log.Record);
        try
        {
            Assert.Equal((new ProbeVerdict(false, "check error: boom"), 2), await log.NextAsync());
            Assert.False(check.Disposed);
        }
        finally
        {
            await DisposeWithPatienceAsync(runner);
        }
        Assert.True(check.Disposed);
    }

    private sealed class ThrowingCheck : IProbeCheck, IDisposable
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public bool Disposed { get; private set; }

        public Task<ProbeOutcome> CheckAsync(CancellationToken ct)
        {
            // Only the first two throw; later calls wait to be cancelled by the runner's disposal.
            if (Interlocked.Increment(ref _calls) <= 2) throw new InvalidOperationException("boom");
            return Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => ProbeOutcome.Pass("never"), TaskScheduler.Default);
        }

        public void Dispose() => Disposed = true;
    }
}
