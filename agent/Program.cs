using System.Net;
using Baton.Agent.Configuration;
using Baton.Agent.Events;
using Baton.Agent.Instances;
using Baton.Agent.Logs;
using Baton.Agent.Native;
using Baton.Agent.Probes;
using Baton.Agent.Processes;
using Baton.Agent.Services;

var options = new AgentOptions();
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--listen": options.Listen = args[i + 1]; break;
        case "--data-dir": options.DataDir = args[i + 1]; break;
        case "--port-range":
            var parts = args[i + 1].Split('-');
            options.PortRangeStart = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            options.PortRangeEnd = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            break;
    }
}
Directory.CreateDirectory(options.DataDir);

var builder = WebApplication.CreateSlimBuilder();
var endpoint = IPEndPoint.Parse(options.Listen);
builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<EpollLoop>();
builder.Services.AddSingleton<ProcessWatcher>();
builder.Services.AddSingleton<EventHub>();
builder.Services.AddSingleton<LogStore>();
builder.Services.AddSingleton<ILogPipes>(sp => sp.GetRequiredService<LogStore>());
builder.Services.AddSingleton(new ProbeCheckFactory(ProbeCheckFactory.CreateHttpClient()));
builder.Services.AddSingleton<IProbeScheduler, ProbeScheduler>();
builder.Services.AddSingleton<IInstanceMetrics, NoMetrics>();
builder.Services.AddSingleton(sp => new InstanceManager(
    options,
    sp.GetRequiredService<ILogPipes>(),
    sp.GetRequiredService<IProbeScheduler>(),
    sp.GetRequiredService<ProcessWatcher>(),
    sp.GetRequiredService<EventHub>(),
    sp.GetRequiredService<IInstanceMetrics>(),
    sp.GetRequiredService<TimeProvider>(),
    sp.GetRequiredService<ILoggerFactory>(),
    ProbeValidator.Validate));
builder.Services.AddSingleton<Baton.Agent.Releases.IReleaseUsage>(sp => sp.GetRequiredService<InstanceManager>());
builder.Services.AddSingleton<Baton.Agent.Releases.ReleaseStore>();
builder.Services.AddGrpc();

var app = builder.Build();
app.MapGrpcService<AgentGrpcService>();
await app.Services.GetRequiredService<InstanceManager>().RecoverAsync();
await app.RunAsync();

internal sealed class NoMetrics : IInstanceMetrics
{
    public void RecordSpawn(TimeSpan latency) { }
    public void RecordRestart(string app) { }
}
