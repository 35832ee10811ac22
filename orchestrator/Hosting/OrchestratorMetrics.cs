using Prometheus;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Exposes the orchestrator's System.Diagnostics.Metrics instruments (the xDS server's pushes,
/// ACKs, NACKs, push-to-ACK latency, streams) in Prometheus text format, through prometheus-net's
/// meter adapter and a registry of the orchestrator's own (no static state).
/// </summary>
public static class OrchestratorMetrics
{
    public static IServiceCollection AddOrchestratorMetrics(this IServiceCollection services)
    {
        var registry = Metrics.NewCustomRegistry();
        services.AddSingleton<CollectorRegistry>(registry);
        services.AddSingleton(_ => new MeterSubscription(MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = registry,
            // Without it the adapter writes the values into the process-wide default registry.
            MetricFactory = Metrics.WithCustomRegistry(registry),
            InstrumentFilterPredicate = instrument => instrument.Meter.Name.StartsWith("Baton", StringComparison.Ordinal),
        })));
        return services;
    }

    public static IEndpointConventionBuilder MapOrchestratorMetrics(this IEndpointRouteBuilder endpoints)
    {
        // The adapter starts listening when first resolved: before the first scrape, with the host.
        _ = endpoints.ServiceProvider.GetRequiredService<MeterSubscription>();
        RequestDelegate handler = async context =>
        {
            var registry = context.RequestServices.GetRequiredService<CollectorRegistry>();
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        };
        return endpoints.MapGet("/metrics", handler);
    }

    /// <summary>The adapter's listener, disposed with the host's container.</summary>
    private sealed class MeterSubscription(IDisposable listener) : IDisposable
    {
        public void Dispose() => listener.Dispose();
    }
}
