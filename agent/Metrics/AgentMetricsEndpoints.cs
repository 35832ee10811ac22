using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Agent.Metrics;

public static class AgentMetricsEndpoints
{
    /// <summary>Content type of the Prometheus text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Registers <see cref="AgentMetrics"/> as a singleton (unless one is already registered).</summary>
    public static IServiceCollection AddAgentMetrics(this IServiceCollection services)
    {
        services.TryAddSingleton<AgentMetrics>();
        return services;
    }

    /// <summary>
    /// Serves the metrics at <paramref name="pattern"/> (GET). Authentication comes from the
    /// agent's middleware, which runs before endpoints; this only writes the exposition.
    /// </summary>
    public static IEndpointConventionBuilder MapAgentMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics")
    {
        // An explicit RequestDelegate avoids minimal APIs' reflection-based binding (trimming/AOT).
        RequestDelegate handler = async context =>
        {
            var metrics = context.RequestServices.GetRequiredService<AgentMetrics>();
            context.Response.ContentType = ContentType;
            await metrics.WriteTextAsync(context.Response.Body, context.RequestAborted);
        };
        return endpoints.MapGet(pattern, handler);
    }
}
