using System.Net;
using Baton.Orchestrator.Tests.Conformance.Echo;
using Baton.Orchestrator.Xds;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Orchestrator.Tests.Conformance;

/// <summary>
/// One instance of a release: a real gRPC server (Kestrel, HTTP/2 without TLS) on 127.0.0.1 with a
/// kernel-chosen port that answers ReleaseEcho.Which with its version and address.
/// </summary>
internal sealed class ReleaseEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReleaseEchoBackend(WebApplication app, string version, int port, EchoBehavior behavior)
    {
        _app = app;
        Version = version;
        Port = port;
        Behavior = behavior;
    }

    public string Version { get; }

    public int Port { get; }

    public string Instance => $"127.0.0.1:{Port}";

    /// <summary>Calls answered and calls failed on purpose, as the backend itself counted them.</summary>
    public EchoBehavior Behavior { get; }

    public EndpointRouting Endpoint => new("127.0.0.1", Port, EndpointHealth.Healthy);

    /// <param name="failureFraction">Share of calls answered with INTERNAL, spread evenly (0 = never fails).</param>
    public static async Task<ReleaseEchoBackend> StartAsync(string version, double failureFraction = 0)
    {
        var behavior = new EchoBehavior(version, failureFraction);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(behavior);
        var app = builder.Build();
        app.MapGrpcService<ReleaseEchoService>();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        behavior.Instance = $"127.0.0.1:{address.Port}";
        return new ReleaseEchoBackend(app, version, address.Port, behavior);
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopGuard = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopGuard.Token);
        }
        await _app.DisposeAsync();
    }
}

/// <summary>What one backend answers, and its own count of calls (the ground truth for load reports).</summary>
internal sealed class EchoBehavior(string version, double failureFraction)
{
    private long _calls;
    private long _failed;

    public string Version { get; } = version;

    public string Instance { get; set; } = "";

    public long Calls => Interlocked.Read(ref _calls);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>
    /// Deterministic rather than random, so a fraction of 0.2 fails exactly every fifth call: call n fails
    /// when floor(n·f) steps up, which spreads failures evenly at any fraction.
    /// </summary>
    public bool NextCallFails()
    {
        var n = Interlocked.Increment(ref _calls);
        var fails = Math.Floor(n * failureFraction) > Math.Floor((n - 1) * failureFraction);
        if (fails)
        {
            Interlocked.Increment(ref _failed);
        }
        return fails;
    }
}

internal sealed class ReleaseEchoService(EchoBehavior behavior) : ReleaseEcho.ReleaseEchoBase
{
    public override Task<WhichReply> Which(WhichRequest request, ServerCallContext context)
    {
        if (behavior.NextCallFails())
        {
            throw new RpcException(new Status(StatusCode.Internal, $"injected failure in {behavior.Version} at {behavior.Instance}"));
        }
        return Task.FromResult(new WhichReply { Version = behavior.Version, Instance = behavior.Instance });
    }
}

/// <summary>A release's instances: a couple of backends, each one endpoint of the release's cluster.</summary>
internal sealed class ReleaseFleet : IAsyncDisposable
{
    private ReleaseFleet(string version, IReadOnlyList<ReleaseEchoBackend> instances)
    {
        Version = version;
        Instances = instances;
    }

    public string Version { get; }

    public IReadOnlyList<ReleaseEchoBackend> Instances { get; }

    public IReadOnlyList<EndpointRouting> Endpoints => Instances.Select(i => i.Endpoint).ToList();

    public long Calls => Instances.Sum(i => i.Behavior.Calls);

    public long Failed => Instances.Sum(i => i.Behavior.Failed);

    public ReleaseRouting WithWeight(uint weight) => new(Version, weight, Endpoints);

    public static async Task<ReleaseFleet> StartAsync(string version, int instances = 2, double failureFraction = 0)
    {
        var started = new List<ReleaseEchoBackend>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                started.Add(await ReleaseEchoBackend.StartAsync(version, failureFraction));
            }
            return new ReleaseFleet(version, started);
        }
        catch
        {
            foreach (var backend in started)
            {
                await backend.DisposeAsync();
            }
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }
    }
}
