using Baton.Orchestrator.Cli;
using Baton.Orchestrator.LoadReporting;
using Baton.Orchestrator.Xds;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Runs the control plane for `baton server`. Kept apart from the CLI so that client commands
/// never load ASP.NET Core: this class's code is only JIT-compiled when the server starts.
/// </summary>
public static class ServerHost
{
    /// <summary>
    /// Today: the xDS (ADS) and load-report (LRS) servers on <see cref="ServerOptions.XdsListen"/>.
    /// The orchestrator API on <see cref="ServerOptions.Listen"/>, the store in
    /// <see cref="ServerOptions.DataDir"/> and the fleet are wired in with the deploy engine.
    /// </summary>
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.XdsListen, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddBatonXds();
        builder.Services.AddBatonLoadReporting();
        var app = builder.Build();
        app.MapBatonXds();
        app.MapBatonLoadReporting();
        // The host handles SIGTERM/SIGINT itself (graceful shutdown); the token only ends the run
        // when the caller (a test, an embedding) asks.
        await ((IHost)app).RunAsync(cancellationToken);
        return ExitCodes.Ok;
    }
}
