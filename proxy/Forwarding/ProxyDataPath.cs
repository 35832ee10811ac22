using System.Net;
using Baton.Proxy.Configuration;
using Baton.Proxy.Hosting;
using Baton.Proxy.LoadReporting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// baton-proxy's data path: binds the listeners of each applied <see cref="ProxyConfig"/> and forwards
/// their requests with YARP's direct forwarder to the clusters' healthy endpoints, counting every
/// attempt in <see cref="LoadStats"/>. A config that cannot be applied leaves the previous one in force.
/// </summary>
public sealed partial class ProxyDataPath : IProxyConfigApplier, IAsyncDisposable
{
    private readonly ProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ProxyDataPath> _logger;
    private readonly ServiceProvider _forwarderServices;
    private readonly ProxyRequestHandler _handler;
    private readonly ClusterRegistry _clusters;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    // Keyed by the bound address (not the listener name): the address is what can be bound only once.
    private readonly Dictionary<string, ListenerHost> _listeners = new(StringComparer.Ordinal);
    private readonly List<Task> _draining = [];
    private bool _disposed;

    public ProxyDataPath(ProxyOptions options, LoadStats stats, ILoggerFactory loggerFactory)
    {
        _options = options;
        // The listeners and the forwarder log through it: the host's log without the per-request lines.
        _loggerFactory = new DataPathLoggerFactory(loggerFactory);
        _logger = loggerFactory.CreateLogger<ProxyDataPath>();
        _clusters = new ClusterRegistry(stats);
        // YARP's forwarder is internal to YARP and built by its DI extension; a private container keeps
        // it from depending on how (or whether) the host uses DI.
        _forwarderServices = new ServiceCollection()
            .AddSingleton(_loggerFactory)
            .AddLogging()
            .AddHttpForwarder()
            .BuildServiceProvider();
        _handler = new ProxyRequestHandler(
            _forwarderServices.GetRequiredService<IHttpForwarder>(),
            loggerFactory.CreateLogger<ProxyRequestHandler>());
    }

    /// <summary>The addresses listeners are bound to now (for tests and diagnostics).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints
    {
        get
        {
            _applyLock.Wait();
            try
            {
                return [.. _listeners.Values.Select(l => l.Endpoint)];
            }
            finally
            {
                _applyLock.Release();
            }
        }
    }

    public async Task<string?> ApplyAsync(ProxyConfig config, CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await ApplyLockedAsync(config, cancellationToken);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private async Task<string?> ApplyLockedAsync(ProxyConfig config, CancellationToken cancellationToken)
    {
        var (planned, planError) = PlanListeners(config.Listeners);
        if (planError is not null)
        {
            return planError;
        }

        var prepared = _clusters.Prepare(config.Clusters);
        var routing = new RoutingTable[planned.Count];
        for (var i = 0; i < planned.Count; i++)
        {
            var listener = planned[i].Config;
            routing[i] = new RoutingTable(listener.Routes, prepared.Runtimes, ForwardedHeadersTransformer.For(listener.ForwardedHeaders));
        }

        // Bind what is new before touching anything in force: a failure then only undoes this call's binds.
        var started = new List<ListenerHost>();
        string? bindError;
        try
        {
            bindError = await BindAsync(planned, routing, started, cancellationToken);
        }
        catch
        {
            // Cancelled, or a failure Kestrel reports other than a bind error: nothing of this call stays bound.
            await UndoAsync(started, prepared);
            throw;
        }
        if (bindError is not null)
        {
            await UndoAsync(started, prepared);
            return bindError;
        }

        // Commit: every listener swaps its routing in one write; pools no longer used go once idle.
        for (var i = 0; i < planned.Count; i++)
        {
            var (listener, _, key) = planned[i];
            if (_listeners.TryGetValue(key, out var kept))
            {
                kept.Name = listener.Name;
                kept.Routing = routing[i];
            }
        }
        foreach (var host in started)
        {
            _listeners[EndpointKey(host.Endpoint)] = host;
        }
        var keep = new HashSet<string>(planned.Select(p => p.Key), StringComparer.Ordinal);
        foreach (var key in _listeners.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            var removed = _listeners[key];
            _listeners.Remove(key);
            LogListenerRemoved(_logger, removed.Name, key);
            _draining.Add(DrainAsync(removed));
        }
        _draining.RemoveAll(t => t.IsCompleted);
        _clusters.Commit(prepared);
        return null;
    }

    /// <summary>Starts the listeners <paramref name="planned"/> adds (or re-binds with other protocols); the error of the first that cannot bind, or null.</summary>
    private async Task<string?> BindAsync(
        List<(ListenerConfig Config, IPEndPoint Endpoint, string Key)> planned, RoutingTable[] routing, List<ListenerHost> started, CancellationToken cancellationToken)
    {
        var rebinds = new List<int>();
        for (var i = 0; i < planned.Count; i++)
        {
            var (listener, endpoint, key) = planned[i];
            if (_listeners.TryGetValue(key, out var existing))
            {
                if (existing.Codec != listener.Codec)
                {
                    rebinds.Add(i); // same port, other protocols: the old server must let go of it first
                }
                continue;
            }
            var bindError = await TryStartAsync(listener, endpoint, routing[i], started, cancellationToken);
            if (bindError is not null)
            {
                return bindError;
            }
        }

        // A codec change needs the port back from the old server, so it is the one step that stops
        // something in force before the config is known to apply; on failure the old server is brought back.
        foreach (var i in rebinds)
        {
            var (listener, endpoint, key) = planned[i];
            var old = _listeners[key];
            await old.StopAsync(_options.ListenerDrainTimeout);
            _listeners.Remove(key);
            var bindError = await TryStartAsync(listener, endpoint, routing[i], started, cancellationToken);
            if (bindError is not null)
            {
                var restore = new List<ListenerHost>();
                var restoreError = await TryStartAsync(
                    listener with { Name = old.Name, Codec = old.Codec }, endpoint, old.Routing, restore, CancellationToken.None);
                if (restoreError is null)
                {
                    _listeners[key] = restore[0];
                }
                return restoreError is null ? bindError : $"{bindError}; the previous listener could not be restored either: {restoreError}";
            }
        }
        return null;
    }

    private (List<(ListenerConfig Config, IPEndPoint Endpoint, string Key)> Planned, string? Error) PlanListeners(IReadOnlyList<ListenerConfig> listeners)
    {
        var planned = new List<(ListenerConfig, IPEndPoint, string)>(listeners.Count);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var listener in listeners)
        {
            var host = _options.ListenAddressOverride ?? listener.Host;
            if (!IPAddress.TryParse(host, out var address))
            {
                return ([], $"listener '{listener.Name}': '{host}' is not an IP address");
            }
            if (listener.Port is <= 0 or > IPEndPoint.MaxPort)
            {
                return ([], $"listener '{listener.Name}': port {listener.Port} is out of range");
            }
            var endpoint = new IPEndPoint(address, listener.Port);
            var key = EndpointKey(endpoint);
            if (!names.TryAdd(key, listener.Name))
            {
                return ([], $"listeners '{names[key]}' and '{listener.Name}' both bind {key}");
            }
            planned.Add((listener, endpoint, key));
        }
        return (planned, null);
    }

    private async Task<string?> TryStartAsync(
        ListenerConfig listener, IPEndPoint endpoint, RoutingTable routing, List<ListenerHost> started, CancellationToken cancellationToken)
    {
        try
        {
            started.Add(await ListenerHost.StartAsync(
                listener.Name, endpoint, listener.Codec, routing, _handler, _loggerFactory, cancellationToken));
            LogListenerBound(_logger, listener.Name, endpoint, listener.Codec);
            return null;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            LogBindFailed(_logger, e, listener.Name, endpoint);
            return $"listener '{listener.Name}': cannot bind {endpoint}: {e.Message}";
        }
    }

    private async Task UndoAsync(List<ListenerHost> started, PreparedClusters prepared)
    {
        foreach (var host in started)
        {
            // Bound in this call and never published: no request of the config in force is on them.
            await host.StopAsync(TimeSpan.Zero);
        }
        ClusterRegistry.Abandon(prepared);
    }

    /// <summary>Stops a removed listener in the background; ApplyAsync does not wait for its requests to finish.</summary>
    private async Task DrainAsync(ListenerHost listener)
    {
        try
        {
            await listener.StopAsync(_options.ListenerDrainTimeout);
        }
        catch (Exception e)
        {
            LogDrainFailed(_logger, e, listener.Name, listener.Endpoint);
        }
    }

    private static string EndpointKey(IPEndPoint endpoint) => endpoint.ToString();

    /// <summary>Stops every listener (letting requests in flight finish, bounded by the drain timeout) and releases the pools.</summary>
    public async ValueTask DisposeAsync()
    {
        await _applyLock.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            var stopping = _listeners.Values.Select(l => l.StopAsync(_options.ListenerDrainTimeout)).Concat(_draining).ToList();
            _listeners.Clear();
            _draining.Clear();
            await Task.WhenAll(stopping);
            _clusters.RetireAll();
            await _forwarderServices.DisposeAsync();
        }
        finally
        {
            _applyLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Listener} bound on {Endpoint} ({Codec})")]
    private static partial void LogListenerBound(ILogger logger, string listener, IPEndPoint endpoint, DownstreamCodec codec);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener} cannot bind {Endpoint}; the config is refused")]
    private static partial void LogBindFailed(ILogger logger, Exception exception, string listener, IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "Listener {Listener} on {Endpoint} did not stop cleanly")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception, string listener, IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Listener} on {Endpoint} removed; draining its requests")]
    private static partial void LogListenerRemoved(ILogger logger, string listener, string endpoint);
}
