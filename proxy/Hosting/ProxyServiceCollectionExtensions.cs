using Baton.Proxy.Configuration;
using Baton.Proxy.Forwarding;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Xds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Proxy.Hosting;

/// <summary>
/// Adds a baton-proxy to any host: the standalone `baton-proxy` and `baton-agent --proxy` compose
/// the same services. The data path binds its own listeners (the ports the orchestrator serves),
/// so it needs nothing from the host's own web server.
/// </summary>
public static class ProxyServiceCollectionExtensions
{
    public static IServiceCollection AddBatonProxy(this IServiceCollection services, ProxyOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        // One LoadStats: the data path counts into it, the LRS client reports from it.
        services.TryAddSingleton<LoadStats>();
        // Which clusters report load: the ADS client replaces it on each applied config, the LRS client reads it.
        services.TryAddSingleton<ReportingClusters>();
        services.TryAddSingleton<AdsClientStatus>();
        services.AddSingleton<ProxyDataPath>();
        services.AddSingleton<IProxyConfigApplier>(sp => sp.GetRequiredService<ProxyDataPath>());
        services.AddHostedService<AdsClient>();
        services.AddHostedService<LoadReportingClient>();
        return services;
    }
}
