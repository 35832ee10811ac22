using Baton.Proxy.Configuration;
using Baton.Proxy.Forwarding;
using Baton.Proxy.LoadReporting;
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
        // One LoadStats: the data path counts into it, the LRS client reports from it.
        services.TryAddSingleton<LoadStats>();
        services.AddSingleton<ProxyDataPath>();
        services.AddSingleton<IProxyConfigApplier>(sp => sp.GetRequiredService<ProxyDataPath>());
        return services.AddBatonProxyXds(options);
    }
}
