using Baton.Agent.Configuration;
using Baton.Agent.Events;
using Baton.Agent.Instances;
using Baton.Agent.Logs;
using Baton.Agent.Metrics;
using Baton.Agent.Native;
using Baton.Agent.Probes;
using Baton.Agent.Processes;
using Baton.Agent.Releases;
using Baton.Agent.Security;
using Baton.Agent.Services;
using Baton.Agent.State;
using Baton.Hosting;
using Baton.Proxy.Hosting;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Baton.Agent.Hosting;

/// <summary>Builds and runs the agent's web host from validated options.</summary>
internal static class AgentHost
{
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancel)
    {
        // First of all: a port in use ends the start here, before the data dir is touched and before
        // the recovery below adopts, restarts or kills anything. An agent started by mistake beside a
        // running one (same port, same data dir) must leave that one's instances alone.
        using var listeners = AgentListenerSockets.Bind(options);
        Directory.CreateDirectory(options.DataDir);
        // Next, before the state file is read or anything recovered: an agent started by mistake on
        // another port but the same data dir must also leave that one's instances alone. Held until
        // the run ends; the kernel drops it if the process dies. A refusal disposes the listeners above.
        using var dataDirLock = DataDirLock.Acquire(options.DataDir);
        var app = Build(options, listeners);
        // Take over what the previous agent left before answering anyone, so the first
        // ListInstances already shows the adopted instances.
        await app.Services.GetRequiredService<InstanceManager>().RecoverAsync();
        app.Services.GetRequiredService<HealthServiceImpl>().SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        // Start-up allocates several MB that are garbage once the host listens, and the GC would
        // keep those pages committed; one aggressive collection hands them back to the OS, so an
        // idle agent costs its host what it uses rather than what it once touched.
        // glibc keeps what start-up's native allocations freed in its arenas; trimming hands it back too.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Native.Libc.malloc_trim(0);
        });
        await app.RunAsync(cancel);
        return 0;
    }

    /// <param name="listeners">Sockets bound beforehand for Kestrel to listen on; without them Kestrel binds its own.</param>
    public static WebApplication Build(AgentOptions options, AgentListenerSockets? listeners = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.UseSystemd();
        builder.Logging.AddAgentConsole(options.LogFormat);
        if (listeners is not null) builder.Services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = listeners.Claim);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureAgentListener(options));

        var services = builder.Services;
        // Long-lived streams (ADS, event watches, log follows) would hold a graceful shutdown for the
        // default 30 s; their clients reconnect anyway, so a restart should not wait on them.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(AgentRun.Begin(TimeProvider.System));
        services.AddSingleton<EpollLoop>();
        services.AddSingleton<ProcessWatcher>();
        services.AddSingleton<EventHub>();
        services.AddSingleton<LogStore>();
        services.AddSingleton<ILogPipes>(sp => sp.GetRequiredService<LogStore>());
        services.AddSingleton(new ProbeCheckFactory(ProbeCheckFactory.CreateHttpClient()));
        services.AddSingleton<IProbeScheduler, ProbeScheduler>();
        services.AddAgentMetrics();
        services.AddSingleton<IInstanceMetrics>(sp => sp.GetRequiredService<AgentMetrics>());
        services.AddSingleton(sp => new InstanceManager(
            options,
            sp.GetRequiredService<ILogPipes>(),
            sp.GetRequiredService<IProbeScheduler>(),
            sp.GetRequiredService<ProcessWatcher>(),
            sp.GetRequiredService<EventHub>(),
            sp.GetRequiredService<IInstanceMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            ProbeValidator.Validate));
        services.AddSingleton<IReleaseUsage>(sp => sp.GetRequiredService<InstanceManager>());
        services.AddSingleton<ReleaseStore>();
        services.AddSingleton<HealthServiceImpl>();
        services.AddGrpc();
        services.AddAgentAuthentication(options);
        // `--proxy`: the host's data plane runs in the agent's process, beside the apps it fronts.
        if (options.BuildProxyOptions() is { } proxy) services.AddBatonProxy(proxy);

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<AgentMetrics>();
        var instances = app.Services.GetRequiredService<InstanceManager>();
        metrics.Registry.AddBeforeCollectCallback(() => metrics.SetInstanceCounts(instances.CountByState()));

        app.UseAgentAuthentication();
        app.MapGrpcService<AgentGrpcService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapAgentMetrics();
        return app;
    }
}
