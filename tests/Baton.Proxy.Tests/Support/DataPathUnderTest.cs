using Baton.Proxy.Configuration;
using Baton.Proxy.Forwarding;
using Baton.Proxy.Hosting;
using Baton.Proxy.LoadReporting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Proxy.Tests.Support;

/// <summary>A <see cref="ProxyDataPath"/> bound on 127.0.0.1, with the load counters it writes.</summary>
internal sealed class DataPathUnderTest : IAsyncDisposable
{
    private DataPathUnderTest()
    {
        DataPath = new ProxyDataPath(
            new ProxyOptions { ListenAddressOverride = "127.0.0.1", ListenerDrainTimeout = TimeSpan.FromSeconds(5) },
            Stats,
            NullLoggerFactory.Instance);
    }

    public LoadStats Stats { get; } = new();

    public ProxyDataPath DataPath { get; }

    /// <summary>The port of the main listener, chosen by <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>
    /// A proxy with the config <paramref name="configFor"/> builds for its listener port; another
    /// port is tried when a parallel test took the chosen one first.
    /// </summary>
    public static async Task<DataPathUnderTest> StartAsync(Func<int, ProxyConfig> configFor)
    {
        var proxy = new DataPathUnderTest();
        try
        {
            string? error = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var port = LoopbackPorts.BelowEphemeral();
                error = await proxy.DataPath.ApplyAsync(configFor(port), CancellationToken.None);
                if (error is null)
                {
                    proxy.Port = port;
                    return proxy;
                }
            }
            throw new InvalidOperationException($"the proxy did not start: {error}");
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public async Task ApplyAsync(ProxyConfig config)
    {
        var error = await DataPath.ApplyAsync(config, CancellationToken.None);
        Assert.Null(error);
    }

    public HttpClient NewClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Waits until no request to <paramref name="cluster"/> is in flight, then reads its counters.</summary>
    public async Task<ClusterLoadTotals> SettledLoadAsync(string cluster)
    {
        var load = Stats.For(cluster);
        await Eventually.TrueAsync(() => load.Read().InProgress == 0, $"{cluster} has no request in progress");
        return load.Read();
    }

    public ValueTask DisposeAsync() => DataPath.DisposeAsync();
}
