using Baton.Proxy.Host;
using Baton.Proxy.Hosting;

return await ProxyCommandLine.InvokeAsync(args, StandaloneProxy.RunAsync);
