using Baton.Hosting;
using Baton.Orchestrator.Api;
using Baton.Orchestrator.AppSpecs;
using Baton.Orchestrator.Cli;
using Baton.Orchestrator.Deploys;
using Baton.Orchestrator.Fleet;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Store;
using Baton.Orchestrator.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Runs the control plane for `baton server`: the store, the fleet of agents, the xDS and LRS
/// servers for data planes, the deploy engine, and the API for the CLI. Kept apart from the CLI
/// so that client commands never load ASP.NET Core.
/// </summary>
public static class ServerHost
{
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        // First of all: a port in use ends the start here, before the data dir and the store exist.
        using var listeners = ServerListenerSockets.Bind(options);
        // Next, before the store is opened: a second server on other ports but the same data dir must
        // not run its own deploy engine on the same store. Held until the run ends; the kernel drops it
        // if the process dies. A refusal disposes the listeners above.
        Directory.CreateDirectory(options.DataDir);
        using var dataDirLock = AcquireDataDir(options.DataDir);
        await using var store = await SqliteStore.OpenAsync(options.DataDir);
        var app = Build(options, store, listeners);
        // The host handles SIGTERM/SIGINT itself (graceful shutdown); the token only ends the run
        // when the caller (a test, an embedding) asks.
        await ((IHost)app).RunAsync(cancellationToken);
        return ExitCodes.Ok;
    }

    /// <exception cref="CliException">Another process holds the data dir's lock: exit code <see cref="ExitCodes.DataDirInUse"/>.</exception>
    private static DataDirLock AcquireDataDir(string dataDir)
    {
        try
        {
            return DataDirLock.Acquire(dataDir);
        }
        catch (DataDirInUseException e)
        {
            throw CliErrors.DataDirInUse(e.Describe("baton server"));
        }
    }

    /// <param name="listeners">Sockets bound beforehand for Kestrel to listen on; without them Kestrel binds its own.</param>
    public static WebApplication Build(ServerOptions options, IBatonStore store, ServerListenerSockets? listeners = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.UseLeanStreams();
        if (listeners is not null) builder.Services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = listeners.Claim);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Listen, l => l.Protocols = HttpProtocols.Http2);
            k.Listen(options.XdsListen, l => l.Protocols = HttpProtocols.Http2);
            // Prometheus scrapes over HTTP/1.1, which a cleartext HTTP/2-only endpoint cannot serve.
            if (options.MetricsListen is { } metrics) k.Listen(metrics, l => l.Protocols = HttpProtocols.Http1);
        });

        var services = builder.Services;
        // Long-lived streams (ADS, event watches, log follows) would hold a graceful shutdown for the
        // default 30 s; their clients reconnect anyway, so a restart should not wait on them.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        services.AddSingleton(store);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IAgentInventoryStore, StoreAgentInventory>();
        var agentToken = options.AgentTokenFile is { } f ? File.ReadAllText(f).Trim() : null;
        services.AddBatonFleet(o => o.BearerToken = agentToken);
        services.AddBatonXds();
        services.AddBatonLoadReporting();
        services.AddSingleton<IDeployRepository, StoreDeployRepository>();
        services.AddSingleton<IFleetOperations, FleetDeployOperations>();
        services.AddSingleton<LiveInstanceCache>();
        services.AddSingleton<DeployNotifier>();
        services.AddSingleton(sp => new DeployServices(
            sp.GetRequiredService<IDeployRepository>(),
            sp.GetRequiredService<IFleetOperations>(),
            sp.GetRequiredService<IXdsPublisher>(),
            sp.GetRequiredService<ILoadReports>(),
            sp.GetRequiredService<LiveInstanceCache>(),
            InstanceSpecFactory.Create,
            sp.GetRequiredService<DeployNotifier>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Baton.Deploys")));
        services.AddSingleton<DeployEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<DeployEngine>());
        services.AddSingleton(new ArtifactReceiver(store, options.DataDir));
        services.AddOrchestratorMetrics();

        var app = builder.Build();
        if (options.TokenFile is { } tokenFile)
        {
            var auth = ApiTokenAuthentication.FromFile(tokenFile, options.Listen.Port);
            app.Use(auth.InvokeAsync);
        }
        // The API answers only on its own endpoint; the xDS endpoint serves data planes only.
        app.MapGrpcService<OrchestratorGrpcService>().RequireHost($"*:{options.Listen.Port}");
        app.MapBatonXds();
        app.MapBatonLoadReporting();
        if (options.MetricsListen is { } metricsEndpoint)
            app.MapOrchestratorMetrics().RequireHost($"*:{metricsEndpoint.Port}");
        return app;
    }
}
