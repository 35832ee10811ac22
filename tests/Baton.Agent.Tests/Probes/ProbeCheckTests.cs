using Baton.Agent.Probes;
using Microsoft.AspNetCore.Http;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Baton.Agent.Tests.Probes;

/// <summary>Each check kind on its own, against real servers, one check at a time.</summary>
public sealed class ProbeCheckTests : IDisposable
{
    private readonly HttpClient _http = ProbeCheckFactory.CreateHttpClient();
    private readonly CancellationTokenSource _patience = new(VerdictLog.Patience);

    public void Dispose()
    {
        _http.Dispose();
        _patience.Dispose();
    }

    private CancellationToken Ct => _patience.Token;

    [Fact]
    public async Task TcpHealthyWhenTheConnectionIsAccepted()
    {
        await using var server = new SilentTcpServer();
        var outcome = await new TcpProbeCheck(server.Port).CheckAsync(Ct);
        Assert.Equal(ProbeOutcome.Pass("connected"), outcome);
        await Eventually.TrueAsync(() => server.Accepted == 1, "the server to accept the probe");
    }

    [Fact]
    public async Task TcpUnhealthyWhenRefused() =>
        Assert.Equal(ProbeOutcome.Fail("connect refused"), await new TcpProbeCheck(Ports.Refused()).CheckAsync(Ct));

    [Fact]
    public async Task HttpHealthyOn2xxAndSendsPathAndQuery()
    {
        await using var server = await HttpTestServer.StartAsync();
        var check = new HttpProbeCheck(_http, server.Port, "/health/ready?full=1");

        Assert.Equal(ProbeOutcome.Pass("HTTP 200"), await check.CheckAsync(Ct));
        server.Status = 204;
        Assert.Equal(ProbeOutcome.Pass("HTTP 204"), await check.CheckAsync(Ct));
        Assert.Equal(["/health/ready?full=1", "/health/ready?full=1"], server.Targets);
    }

    [Fact]
    public async Task HttpUnhealthyOn503()
    {
        await using var server = await HttpTestServer.StartAsync();
        server.Status = 503;
        Assert.Equal(ProbeOutcome.Fail("HTTP 503"), await new HttpProbeCheck(_http, server.Port, "/").CheckAsync(Ct));
    }

    [Fact]
    public async Task HttpDoesNotFollowRedirects()
    {
        await using var server = await HttpTestServer.StartAsync();
        server.Script(302);
        Assert.Equal(ProbeOutcome.Fail("HTTP 302"), await new HttpProbeCheck(_http, server.Port, "/old").CheckAsync(Ct));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task HttpUnhealthyWhenRefused() =>
        Assert.Equal(ProbeOutcome.Fail("connect refused"),
            await new HttpProbeCheck(_http, Ports.Refused(), "/").CheckAsync(Ct));

    [Fact]
    public async Task HttpUnhealthyWhenTheServerHangsUpWithoutAnswer()
    {
        await using var server = await HttpTestServer.StartAsync();
        server.Intercept = ctx =>
        {
            ctx.Abort();
            return Task.FromResult(true);
        };
        var outcome = await new HttpProbeCheck(_http, server.Port, "/").CheckAsync(Ct);
        Assert.False(outcome.Healthy);
        // Kestrel's abort normally resets the connection; a plain close would read as ResponseEnded.
        Assert.Contains(outcome.Message, new[] { "connection reset", "HTTP request failed: ResponseEnded" });
    }

    [Fact]
    public async Task HttpDecidesOnHeadersWithoutReadingTheBody()
    {
        await using var server = await HttpTestServer.StartAsync();
        var bodyAbandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Intercept = async ctx =>
        {
            ctx.Response.StatusCode = 200;
            await ctx.Response.WriteAsync("the start of an endless body");
            await ctx.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The probe closing the connection after the headers is what this test waits for.
                bodyAbandoned.SetResult();
            }
            return true;
        };

        Assert.Equal(ProbeOutcome.Pass("HTTP 200"), await new HttpProbeCheck(_http, server.Port, "/").CheckAsync(Ct));
        await bodyAbandoned.Task.WaitAsync(VerdictLog.Patience);
    }

    [Fact]
    public async Task GrpcFollowsTheServingStatus()
    {
        await using var server = await GrpcHealthTestServer.StartAsync();
        using var check = new GrpcProbeCheck(server.Port, "baton.Web");

        server.Health.SetStatus("baton.Web", ServingStatus.Serving);
        Assert.Equal(ProbeOutcome.Pass("SERVING"), await check.CheckAsync(Ct));
        server.Health.SetStatus("baton.Web", ServingStatus.NotServing);
        Assert.Equal(ProbeOutcome.Fail("NOT_SERVING"), await check.CheckAsync(Ct));
        server.Health.SetStatus("baton.Web", ServingStatus.Serving);
        Assert.Equal(ProbeOutcome.Pass("SERVING"), await check.CheckAsync(Ct));
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task GrpcEmptyServiceAsksForTheWholeServer()
    {
        await using var server = await GrpcHealthTestServer.StartAsync();
        using var check = new GrpcProbeCheck(server.Port, "");

        Assert.Equal(ProbeOutcome.Fail("server health not registered"), await check.CheckAsync(Ct));
        server.Health.SetStatus("", ServingStatus.Serving);
        Assert.Equal(ProbeOutcome.Pass("SERVING"), await check.CheckAsync(Ct));
    }

    [Fact]
    public async Task GrpcUnhealthyForAnUnknownService()
    {
        await using var server = await GrpcHealthTestServer.StartAsync();
        server.Health.SetStatus("baton.Web", ServingStatus.Serving);
        using var check = new GrpcProbeCheck(server.Port, "baton.Other");
        Assert.Equal(ProbeOutcome.Fail("unknown service \"baton.Other\""), await check.CheckAsync(Ct));
    }

    [Fact]
    public async Task GrpcUnhealthyWhenRefused()
    {
        using var check = new GrpcProbeCheck(Ports.Refused(), "");
        Assert.Equal(ProbeOutcome.Fail("connect refused"), await check.CheckAsync(Ct));
    }

    [Fact]
    public async Task GrpcUnhealthyWhenTheServerHasNoHealthService()
    {
        await using var server = await GrpcHealthTestServer.StartAsync(mapHealthService: false);
        using var check = new GrpcProbeCheck(server.Port, "");
        Assert.Equal(ProbeOutcome.Fail("grpc.health.v1 not implemented"), await check.CheckAsync(Ct));
    }
}
