using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Orchestrator.Fleet;

/// <summary>
/// Wires the fleet into an ASP.NET Core host. The inventory defaults to
/// <see cref="InMemoryAgentInventoryStore"/>; a durable store replaces it by being registered
/// first: <c>services.AddSingleton&lt;IAgentInventoryStore, SqliteAgentInventoryStore&gt;()</c>.
/// </summary>
public static class FleetServiceCollectionExtensions
{
    public static IServiceCollection AddBatonFleet(this IServiceCollection services, Action<FleetOptions>? configure = null)
    {
        var options = new FleetOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAgentInventoryStore, InMemoryAgentInventoryStore>();
        services.AddSingleton(options);
        services.AddSingleton<AgentRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentRegistry>());
        services.AddSingleton<AgentOperations>();
        services.AddSingleton<FleetLogStreamer>();
        return services;
    }
}
