using Microsoft.AspNetCore.Connections;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Server settings that decide what an idle long-lived gRPC stream (an ADS stream above all: one per data plane)
/// costs in memory. `baton server` applies them; so does the xDS benchmark's server, which must be wired the same.
/// </summary>
public static class StreamMemory
{
    public static WebApplicationBuilder UseLeanStreams(this WebApplicationBuilder builder)
    {
        // ASP.NET Core's hosting starts an Activity and a logging scope for every request as soon as its
        // diagnostics category logs at any level, and keeps both for the request's life: ~0.4 KB per open stream.
        // That category only logs "request starting/finished" (Information/Debug), which Baton never shows.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Kestrel's buffer pool, capped (see BoundedBlockMemoryPool): registered last, so it is the one resolved.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, BoundedBlockMemoryPoolFactory>();
        return builder;
    }
}
