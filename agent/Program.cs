using Baton.Agent.Configuration;
using Baton.Agent.Hosting;

return await AgentCommandLine.InvokeAsync(args, AgentHost.RunAsync);
