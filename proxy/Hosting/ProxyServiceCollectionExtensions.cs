using Baton.Proxy.Configuration;
using Baton.Proxy.Forwarding;
using Baton.Proxy.LoadReporting;
using Baton.Proxy.Xds;
using Microsoft.Extensions.DependencyInjection;

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
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<LoadStats>();
        services.AddSingleton<ProxyDataPath>();
        services.AddSingleton<IProxyConfigApplier>(sp => sp.GetRequiredService<ProxyDataPath>());
        services.AddHostedService<AdsClient>();
        services.AddHostedService<LoadReportingClient>();
        return services;
    }
}
