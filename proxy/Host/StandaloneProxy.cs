using Baton.Proxy.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Proxy.Host;

/// <summary>`baton-proxy` as its own process: a generic host holding only the proxy's services.</summary>
internal static class StandaloneProxy
{
    public static async Task<int> RunAsync(ProxyOptions options, CancellationToken cancellationToken)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "baton-proxy",
        });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddBatonProxy(options);
        // In-flight requests get this long to finish when the proxy is stopped.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
