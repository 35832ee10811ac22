using Baton.Orchestrator.Cli;
using Baton.Orchestrator.Hosting;

return await BatonCommandLine.InvokeAsync(args, ServerHost.RunAsync);
