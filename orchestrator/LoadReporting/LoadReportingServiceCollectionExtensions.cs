using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Orchestrator.LoadReporting;

public static class LoadReportingServiceCollectionExtensions
{
    public static IServiceCollection AddBatonLoadReporting(this IServiceCollection services, Action<LoadReportingOptions>? configure = null)
    {
        var options = new LoadReportingOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LoadReportCadence>();
        services.AddSingleton<LoadReportStore>();
        services.AddSingleton<ILoadReports>(sp => sp.GetRequiredService<LoadReportStore>());
        services.AddGrpc();
        return services;
    }

    public static IEndpointRouteBuilder MapBatonLoadReporting(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<LoadReportingServiceImpl>();
        return endpoints;
    }
}
