using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Orchestrator.Xds;

/// <summary>Wires the xDS server into an ASP.NET Core host.</summary>
public static class XdsServiceCollectionExtensions
{
    public static IServiceCollection AddBatonXds(this IServiceCollection services, Action<XdsOptions>? configure = null)
    {
        var options = new XdsOptions();
        configure?.Invoke(options);
        services.AddGrpc();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<AppResourceBuilder>();
        services.AddSingleton<SnapshotCache>();
        services.AddSingleton<StreamRegistry>();
        services.AddSingleton<XdsMetrics>();
        services.AddSingleton<XdsPublisher>();
        // One instance for every call (its dependencies are singletons); gRPC would otherwise create one per stream.
        services.AddSingleton<AggregatedDiscoveryServiceImpl>();
        services.AddSingleton<IXdsPublisher>(sp => sp.GetRequiredService<XdsPublisher>());
        services.AddSingleton<IXdsMonitor>(sp => sp.GetRequiredService<XdsPublisher>());
        return services;
    }

    public static IEndpointRouteBuilder MapBatonXds(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<AggregatedDiscoveryServiceImpl>();
        return endpoints;
    }
}
