using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// The logger factory the data path's listeners and YARP's forwarder get: the host's, without the
/// lines ASP.NET Core and YARP write for every request at Information ("Request starting",
/// "Request finished", "Proxying to", "Received HTTP/1.1 response"). Those four lines cost more CPU
/// than forwarding the request itself (measured in docs/benchmarks.md, issue 5), and a data plane's
/// per-request log is an access log, which Envoy too leaves off unless configured. Errors and warnings
/// from both still reach the host's log.
/// </summary>
internal sealed class DataPathLoggerFactory(ILoggerFactory host) : ILoggerFactory
{
    /// <summary>ASP.NET Core's per-request log and scope: Kestrel's own category still logs connection and app errors.</summary>
    internal const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    internal const string ForwarderCategory = "Yarp.ReverseProxy.Forwarder.HttpForwarder";

    /// <summary>YARP's event ids of a normal exchange: 9 "Proxying to …", 56 "Received HTTP/… response …".</summary>
    private static readonly int[] ForwarderPerRequestEvents = [9, 56];

    public ILogger CreateLogger(string categoryName) => categoryName switch
    {
        // NullLogger, not a level filter: Hosting also opens a log scope per request whenever any
        // level is enabled, an allocation and an AsyncLocal write per request for nothing.
        HostingDiagnosticsCategory => NullLogger.Instance,
        ForwarderCategory => new WithoutEvents(host.CreateLogger(categoryName), ForwarderPerRequestEvents),
        _ => host.CreateLogger(categoryName),
    };

    public void AddProvider(ILoggerProvider provider) => host.AddProvider(provider);

    /// <summary>The host owns its factory and disposes it.</summary>
    public void Dispose()
    {
    }

    /// <summary>A logger that drops the given event ids and passes everything else on.</summary>
    private sealed class WithoutEvents(ILogger inner, int[] droppedEventIds) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning && Array.IndexOf(droppedEventIds, eventId.Id) >= 0)
            {
                return;
            }
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
