using Baton.Orchestrator.Xds;
using Xunit.Abstractions;

namespace Baton.Orchestrator.Tests.Conformance;

/// <summary>The conformance tests start real processes; one at a time keeps two shared cores calm and the splits fair.</summary>
[CollectionDefinition(Name)]
public sealed class ConformanceCollection
{
    public const string Name = "xDS conformance";
}

/// <summary>
/// Issue 3's proof with a real proxyless xDS client: Baton's resources are accepted, traffic follows the
/// weights, weight steps are ACK-gated without a failed call, a NACK is reported with the client's own error
/// while traffic stays on the last good config, a restarted server is survived and reconnected to, and the
/// client's load reports arrive. Each client kind runs the same tests (see the derived classes).
/// </summary>
public abstract class XdsClientConformanceTests : IAsyncLifetime
{
    /// <summary>
    /// Calls per weight step. At 90/10 the 10 % release's count has σ = √(1000·0.1·0.9) ≈ 9.5, so the
    /// 5σ tolerance (±47 around 100) still tells 90/10 from 95/5 or 85/15.
    /// </summary>
    private const int CallsPerStep = 1000;

    /// <summary>
    /// Calls let through after an ACK before a step is counted: a client ACKs once it has accepted a resource,
    /// and C-core applies it to the channel just after, so the first few calls may still take the old route.
    /// </summary>
    private const int SettleCalls = 100;

    private const string App = "echo";

    private readonly ITestOutputHelper _output;
    private readonly XdsClientKind _kind;
    private ConformanceControlPlane _plane = null!;
    private ReleaseFleet _v1 = null!;
    private ReleaseFleet _v2 = null!;
    private readonly List<XdsClientProcess> _clients = [];

    protected XdsClientConformanceTests(XdsClientKind kind, ITestOutputHelper output)
    {
        _kind = kind;
        _output = output;
    }

    public async Task InitializeAsync()
    {
        _plane = await ConformanceControlPlane.StartAsync();
        _v1 = await ReleaseFleet.StartAsync("v1");
    }

    public async Task DisposeAsync()
    {
        // Clients first, so none of them sees its backends vanish and the processes die even if a test failed.
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        await _plane.DisposeAsync();
        await _v1.DisposeAsync();
        if (_v2 is not null)
        {
            await _v2.DisposeAsync();
        }
    }

    [Fact]
    public async Task TrafficFollowsEachWeightStepWithoutAFailedCall()
    {
        _v2 = await ReleaseFleet.StartAsync("v2");
        await _plane.ApplyAsync(Routing(100, 0));
        var client = await StartClientAsync();
        // Connected and holding the route, so even the first step below waits for this client's ACK.
        await WaitForStreamAsync(client, s => s.Types.Single(t => t.TypeUrl == XdsTypeUrls.Route).LastAckedVersion is not null);

        foreach (var (w1, w2) in new (uint, uint)[] { (100, 0), (90, 10), (50, 50), (0, 100) })
        {
            var confirmation = await _plane.ApplyAsync(Routing(w1, w2));
            AssertAckedBy(confirmation, client);
            await client.WindowAsync(SettleCalls);
            var step = await client.WindowAsync(CallsPerStep);
            _output.WriteLine($"{_kind} at {w1}/{w2}: {step}");
            WeightedSplit.AssertFollows(step, ("v1", w1), ("v2", w2));
            foreach (var (fleet, weight) in new[] { (_v1, w1), (_v2, w2) })
            {
                // Round robin within a release: every instance of a release with traffic takes calls.
                Assert.All(fleet.Instances, i => Assert.True(weight == 0 || step.Instances.GetValueOrDefault($"{fleet.Version}@{i.Instance}") > 0,
                    $"instance {i.Instance} of {fleet.Version} got no call: {step}"));
            }
        }

        var total = await client.QuitAsync();
        _output.WriteLine($"{_kind} whole run across the weight changes: {total}");
        Assert.True(total.Failed == 0, $"calls failed across the weight changes: {total}");
    }

    [Fact]
    public async Task RejectedClusterIsReportedAsNackAndTrafficKeepsTheLastGoodConfig()
    {
        _v2 = await ReleaseFleet.StartAsync("v2");
        await _plane.ApplyAsync(Routing(90, 10));
        var client = await StartClientAsync();
        await client.WindowAsync(SettleCalls);
        var before = await client.WindowAsync(CallsPerStep);
        WeightedSplit.AssertFollows(before, ("v1", 90), ("v2", 10));

        var rejected = ResourceNames.Cluster(App, "v2");
        _plane.ServeUnsupportedLbPolicyFor(rejected);
        var confirmation = await _plane.ApplyAsync(Routing(90, 10));
        _output.WriteLine($"{_kind} NACK: {confirmation.Error}");
        Assert.Equal(ConfirmationOutcome.Nacked, confirmation.Outcome);
        Assert.Equal(client.NodeId, confirmation.NackedBy);
        Assert.StartsWith("CDS version", confirmation.Error);
        Assert.Contains(ExpectedLbPolicyRejection, confirmation.Error, StringComparison.OrdinalIgnoreCase);

        var status = _plane.StreamOf(client.NodeId);
        Assert.NotNull(status);
        var clusters = status.Types.Single(t => t.TypeUrl == XdsTypeUrls.Cluster);
        Assert.NotNull(clusters.LastNack);
        Assert.Contains(ExpectedLbPolicyRejection, clusters.LastNack.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(clusters.Nacks >= 1);

        // The client keeps the cluster it had: same split, nothing fails.
        var during = await client.WindowAsync(CallsPerStep);
        _output.WriteLine($"{_kind} after the NACK: {during}");
        WeightedSplit.AssertFollows(during, ("v1", 90), ("v2", 10));

        // Serving the good cluster again is ACKed, and the next step goes through.
        _plane.ServeUnsupportedLbPolicyFor(null);
        AssertAckedBy(await _plane.ApplyAsync(Routing(50, 50)), client);
        await client.WindowAsync(SettleCalls);
        var after = await client.WindowAsync(CallsPerStep);
        WeightedSplit.AssertFollows(after, ("v1", 50), ("v2", 50));

        var total = await client.QuitAsync();
        Assert.True(total.Failed == 0, $"calls failed around the NACK: {total}");
    }

    [Fact]
    public async Task ClientKeepsServingWhileTheServerRestartsAndReconnects()
    {
        _v2 = await ReleaseFleet.StartAsync("v2");
        await _plane.ApplyAsync(Routing(50, 50));
        var client = await StartClientAsync();
        await client.WindowAsync(SettleCalls);
        var firstStream = await WaitForStreamAsync(client, _ => true);

        await _plane.StopAsync();
        var whileDown = await client.WindowAsync(CallsPerStep);
        _output.WriteLine($"{_kind} while the xDS server is down: {whileDown}");
        WeightedSplit.AssertFollows(whileDown, ("v1", 50), ("v2", 50));

        await _plane.RestartAsync();
        var secondStream = await WaitForStreamAsync(client,
            s => s.Types.Single(t => t.TypeUrl == XdsTypeUrls.Route).LastAckedVersion is not null);
        Assert.NotEqual(firstStream.ConnectedAt, secondStream.ConnectedAt);

        // The new stream carries steps again.
        AssertAckedBy(await _plane.ApplyAsync(Routing(90, 10)), client);
        await client.WindowAsync(SettleCalls);
        var after = await client.WindowAsync(CallsPerStep);
        _output.WriteLine($"{_kind} after reconnecting: {after}");
        WeightedSplit.AssertFollows(after, ("v1", 90), ("v2", 10));

        var total = await client.QuitAsync();
        Assert.True(total.Failed == 0, $"calls failed around the restart: {total}");
    }

    [Fact]
    public async Task LoadReportsArriveForEachReleaseWithItsErrors()
    {
        // v2 fails every fifth call, as a bad release would: the reports must show it on v2 only.
        _v2 = await ReleaseFleet.StartAsync("v2", failureFraction: 0.2);
        await _plane.ApplyAsync(Routing(50, 50));
        var client = await StartClientAsync();
        var window = await client.WindowAsync(CallsPerStep);
        _output.WriteLine($"{_kind} with a failing v2: {window}");
        Assert.Equal(["INTERNAL"], window.Failures.Keys);

        // Reports are deltas every 250 ms; wait until they cover at least the window's calls to each release.
        var reportWindow = TimeSpan.FromMinutes(5);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (_plane.LoadReports.Get(App, "v1", reportWindow).Issued < (ulong)window.Of("v1")
               || _plane.LoadReports.Get(App, "v2", reportWindow).Succeeded + _plane.LoadReports.Get(App, "v2", reportWindow).Errors
                  < (ulong)(window.Calls - window.Of("v1")))
        {
            await Task.Delay(50, guard.Token);
        }
        var v1 = _plane.LoadReports.Get(App, "v1", reportWindow);
        var v2 = _plane.LoadReports.Get(App, "v2", reportWindow);
        _output.WriteLine($"{_kind} load reports: v1 {v1}; v2 {v2}");
        Assert.Equal(0UL, v1.Errors);
        Assert.True(v1.Reporters >= 1, $"no reporter for v1: {v1}");
        Assert.True(v2.Errors > 0, $"v2's failures were not reported: {v2}");
        Assert.InRange(v2.ErrorRate, 0.15, 0.25);
        await client.QuitAsync();
    }

    /// <summary>What the client says when it refuses a cluster with lb_policy MAGLEV.</summary>
    protected abstract string ExpectedLbPolicyRejection { get; }

    private AppRouting Routing(uint v1Weight, uint v2Weight) =>
        new(App, AppProtocol.Grpc, null, [_v1.WithWeight(v1Weight), _v2.WithWeight(v2Weight)]);

    private async Task<XdsClientProcess> StartClientAsync()
    {
        var client = await XdsClientProcess.StartAsync(_kind, _plane.ServerUri, $"{_kind}-{Guid.NewGuid():N}"[..24], App);
        _clients.Add(client);
        return client;
    }

    private static void AssertAckedBy(WeightConfirmation confirmation, XdsClientProcess client)
    {
        Assert.True(confirmation.Outcome == ConfirmationOutcome.Acked, $"step not ACKed: {confirmation.Outcome} {confirmation.Error}");
        Assert.Contains(confirmation.DataPlanes, d => d.NodeId == client.NodeId && d.State == DataPlaneState.Acked);
    }

    private async Task<XdsStreamStatus> WaitForStreamAsync(XdsClientProcess client, Func<XdsStreamStatus, bool> condition)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                if (_plane.StreamOf(client.NodeId) is { } stream && condition(stream))
                {
                    return stream;
                }
                await Task.Delay(20, guard.Token);
            }
        }
        catch (OperationCanceledException) when (guard.IsCancellationRequested)
        {
            throw new TimeoutException($"{_kind} client {client.NodeId} did not (re)connect; stderr:\n{client.StderrTail()}");
        }
    }
}

[Collection(ConformanceCollection.Name)]
public sealed class GrpcJsXdsConformanceTests(ITestOutputHelper output) : XdsClientConformanceTests(XdsClientKind.GrpcJs, output)
{
    protected override string ExpectedLbPolicyRejection => "unsupported lb_policy";
}

[Collection(ConformanceCollection.Name)]
public sealed class GrpcCoreXdsConformanceTests(ITestOutputHelper output) : XdsClientConformanceTests(XdsClientKind.GrpcCore, output)
{
    protected override string ExpectedLbPolicyRejection => "LB policy is not supported";
}
