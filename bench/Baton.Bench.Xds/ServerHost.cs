using System.Diagnostics;
using System.Globalization;
using System.Net;
using Baton.Orchestrator.Hosting;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Bench.Xds;

/// <summary>
/// The server process: the real xDS server, wired exactly as `baton server` wires it (slim builder, Kestrel on
/// loopback, HTTP/2 only, default Kestrel limits, UseLeanStreams, AddBatonXds + AddBatonLoadReporting), with two differences
/// that only a benchmark needs: a kernel-chosen port, and log level Warning (`baton server` logs every stream
/// open/close at Information, which would be 10,000 console lines per run here).
/// <para>
/// The admin hook is this process's stdin/stdout, so it is reachable only by the parent that started it: one
/// command per line in, one line starting with '@' out. When stdin closes (the driver died) the host exits.
/// </para>
/// </summary>
internal static class ServerHost
{
    public const string AppName = "web";

    public static async Task<int> RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseLeanStreams();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddBatonXds();
        builder.Services.AddBatonLoadReporting();
        await using var app = builder.Build();
        app.MapBatonXds();
        app.MapBatonLoadReporting();
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var publisher = app.Services.GetRequiredService<IXdsPublisher>();
        var monitor = app.Services.GetRequiredService<IXdsMonitor>();
        Reply($"ready {address}");

        try
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0)
                {
                    continue;
                }
                switch (parts[0])
                {
                    case "set":
                        publisher.SetApp(Routing(Weight(parts[1]), Weight(parts[2])));
                        Reply("ok");
                        break;
                    case "apply":
                        await ApplyAsync(publisher, Weight(parts[1]), Weight(parts[2]),
                            TimeSpan.FromMilliseconds(int.Parse(parts[3], CultureInfo.InvariantCulture)));
                        break;
                    case "streams":
                        Reply(StreamCounts(monitor));
                        break;
                    case "gc":
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                        GC.WaitForPendingFinalizers();
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                        var info = GC.GetGCMemoryInfo();
                        Reply($"gc {GC.GetTotalMemory(false)} {info.HeapSizeBytes} {info.TotalCommittedBytes} {ThreadPool.ThreadCount}");
                        break;
                    case "quit":
                        return 0;
                    default:
                        Reply($"error unknown command '{parts[0]}'");
                        break;
                }
            }
            return 0;
        }
        finally
        {
            using var stopGuard = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await app.StopAsync(stopGuard.Token);
            }
            catch (OperationCanceledException)
            {
                // Streams that do not end in time are cut when the process exits.
            }
        }
    }

    /// <summary>
    /// One weight step through the real seam. Prints the monotonic timestamps around it (Stopwatch is
    /// CLOCK_MONOTONIC on Linux, comparable with the driver's), the outcome and what the whole process
    /// allocated meanwhile.
    /// </summary>
    private static async Task ApplyAsync(IXdsPublisher publisher, uint v1, uint v2, TimeSpan timeout)
    {
        var routing = Routing(v1, v2);
        var gen0 = GC.CollectionCount(0);
        var gen2 = GC.CollectionCount(2);
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var start = Stopwatch.GetTimestamp();
        var result = await publisher.ApplyAndConfirmAsync(routing, timeout, CancellationToken.None);
        var end = Stopwatch.GetTimestamp();
        var allocatedDelta = GC.GetTotalAllocatedBytes(precise: false) - allocated;
        var acked = result.DataPlanes.Count(d => d.State == DataPlaneState.Acked);
        Reply(string.Create(CultureInfo.InvariantCulture,
            $"applied {start} {end} {result.Outcome} {result.DataPlanes.Count} {acked} {allocatedDelta} {GC.CollectionCount(0) - gen0} {GC.CollectionCount(2) - gen2}"));
    }

    /// <summary>
    /// Counts open and synced streams. Not inline in the async loop above: a local there is hoisted into the
    /// loop's state machine and would keep the whole status list (about 0.6 KB per stream) alive into the next
    /// heap and RSS measurement.
    /// </summary>
    private static string StreamCounts(IXdsMonitor monitor)
    {
        var streams = monitor.ListStreams();
        var synced = streams.Count(s => s.Types.All(t => t.Requested && t.Acks > 0 && t.PendingNonce is null));
        return $"streams {streams.Count} {synced}";
    }

    /// <summary>An HTTP app with two releases of two endpoints each; a weight step changes only the route.</summary>
    public static AppRouting Routing(uint v1, uint v2) => new(
        AppName,
        AppProtocol.Http,
        8080,
        [
            new ReleaseRouting("v1", v1, [new("127.0.0.1", 20001, EndpointHealth.Healthy), new("127.0.0.1", 20002, EndpointHealth.Healthy)]),
            new ReleaseRouting("v2", v2, [new("127.0.0.1", 20011, EndpointHealth.Healthy), new("127.0.0.1", 20012, EndpointHealth.Healthy)]),
        ]);

    private static uint Weight(string text) => uint.Parse(text, CultureInfo.InvariantCulture);

    private static void Reply(string line)
    {
        Console.Out.WriteLine("@" + line);
        Console.Out.Flush();
    }
}
