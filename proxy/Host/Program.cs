using Baton.Proxy.Host;
using Baton.Proxy.Hosting;

// First, before any socket exists: the runtime reads this switch when it creates its first one.
InlineSocketIo.PreferForThisProcess();
return await ProxyCommandLine.InvokeAsync(args, StandaloneProxy.RunAsync);
