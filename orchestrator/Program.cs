using System.Net;
using Baton.Orchestrator.Cli;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// For now `baton server` hosts the xDS (ADS) server only; the CLI subcommands come with the deploy engine.
const string usage = "usage: baton server [--xds-listen 127.0.0.1:18000]\n       baton envoy bootstrap --node NAME --xds HOST:PORT [--app APP ...]";
if (args is ["envoy", "bootstrap", ..])
{
    return EnvoyBootstrapCommand.Run(args[2..], Console.Out, Console.Error);
}
if (args.Length == 0 || args[0] != "server")
{
    Console.Error.WriteLine(usage);
    return 2;
}

var listen = "127.0.0.1:18000";
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--xds-listen" && i + 1 < args.Length)
    {
        listen = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}'; {usage}");
        return 2;
    }
}
if (!IPEndPoint.TryParse(listen, out var endpoint))
{
    Console.Error.WriteLine($"--xds-listen '{listen}' is not an address:port");
    return 2;
}
if (!IPAddress.IsLoopback(endpoint.Address))
{
    // Rule of the house: nothing listens beyond loopback until the server authenticates its clients.
    Console.Error.WriteLine($"--xds-listen '{listen}' is not a loopback address; the xDS server has no authentication yet");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http2));
builder.Services.AddBatonXds();
builder.Services.AddBatonLoadReporting();
var app = builder.Build();
app.MapBatonXds();
app.MapBatonLoadReporting();
await app.RunAsync();
return 0;
