using Baton.Proxy.LoadReporting;
using Baton.Proxy.Xds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Proxy.Hosting;

/// <summary>Wires the proxy's control-plane side (ADS client, LRS client) into a host.</summary>
public static class ProxyXdsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AdsClient"/> and <see cref="LoadReportingClient"/> as hosted services, with the
    /// singletons they share (<see cref="AdsClientStatus"/>, <see cref="ReportingClusters"/>,
    /// <see cref="LoadStats"/>). The data path must register the <see cref="Configuration.IProxyConfigApplier"/>.
    /// </summary>
    public static IServiceCollection AddBatonProxyXds(this IServiceCollection services, ProxyOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LoadStats>();
        services.TryAddSingleton<ReportingClusters>();
        services.TryAddSingleton<AdsClientStatus>();
        services.AddHostedService<AdsClient>();
        services.AddHostedService<LoadReportingClient>();
        return services;
    }
}
