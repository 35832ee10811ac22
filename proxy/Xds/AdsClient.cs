using System.Collections.Frozen;
using Baton.Proxy.Configuration;
using Baton.Proxy.Hosting;
using Baton.Proxy.LoadReporting;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RpcStatus = Google.Rpc.Status;

namespace Baton.Proxy.Xds;

/// <summary>
/// The proxy's xDS client: one state-of-the-world ADS stream to the orchestrator. LDS and CDS are
/// subscribed as wildcards, RDS and EDS by the names the held listeners and clusters reference. Each
/// response is translated together with everything else held and handed to the data path; it is ACKed
/// only once the data path has applied it (the orchestrator reads an ACK as "live"), and NACKed, with the
/// previous config left in force, when it is invalid or the data path refuses it.
/// When the stream fails the client reconnects with exponential backoff and resubscribes; meanwhile the
/// data path keeps serving the last applied config.
/// </summary>
public sealed class AdsClient(
    ProxyOptions options,
    IProxyConfigApplier applier,
    AdsClientStatus status,
    ReportingClusters reportingClusters,
    ILogger<AdsClient> logger) : BackgroundService
{
    // Held across streams: what was last accepted, so a reconnect resubscribes to the same names and
    // reports the versions it holds. Touched only by the one stream loop in ExecuteAsync.
    private readonly Dictionary<string, string> _acceptedVersions = new(StringComparer.Ordinal);
    private XdsResources _held = XdsResources.Empty;
    private ProxyConfig? _applied;
    private IReadOnlySet<string> _routeNames = FrozenSet<string>.Empty;
    private IReadOnlySet<string> _endpointNames = FrozenSet<string>.Empty;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = XdsChannel.Create(options.XdsServer);
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        // The last applied config keeps serving while the stream is down.
        await ControlPlaneStreamLoop.RunAsync("ADS", options, logger,
            (answered, ct) => RunStreamAsync(client, new StreamState(), answered, ct),
            () => status.SetConnected(false), stoppingToken);
    }

    private async Task RunStreamAsync(
        AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, StreamState stream, Action answered, CancellationToken ct)
    {
        using var call = client.StreamAggregatedResources(cancellationToken: ct);
        foreach (var typeUrl in XdsTypeUrl.All)
        {
            if (XdsTypeUrl.IsWildcard(typeUrl) || Subscribed(typeUrl).Count > 0)
            {
                await SendAsync(call.RequestStream, stream, typeUrl, ct);
            }
        }
        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            if (!stream.ReceivedResponse)
            {
                stream.ReceivedResponse = true;
                answered();
                status.SetConnected(true);
                logger.LogInformation("ADS stream to {Server} established as node {NodeId}", options.XdsServer, options.NodeId);
            }
            if (!Thread.CurrentThread.IsThreadPoolThread)
            {
                // With inline socket completions this is an epoll thread that also carries the data
                // path; decoding, translating and applying a config can take milliseconds.
                await Task.Yield();
            }
            await HandleAsync(call.RequestStream, stream, response, ct);
        }
    }

    private async Task HandleAsync(
        IClientStreamWriter<DiscoveryRequest> requests, StreamState stream, DiscoveryResponse response, CancellationToken ct)
    {
        var typeUrl = response.TypeUrl;
        if (!XdsTypeUrl.All.Contains(typeUrl))
        {
            logger.LogWarning("ADS response of type {TypeUrl}, which the proxy never asked for, ignored", typeUrl);
            return;
        }
        stream.Nonces[typeUrl] = response.Nonce;

        var (rejection, code) = await TryAcceptAsync(response, ct);
        if (rejection is not null)
        {
            logger.LogWarning("NACK {Type} version {Version}: {Error}", XdsTypeUrl.ShortName(typeUrl), response.VersionInfo, rejection);
            status.Nacked(typeUrl, rejection);
            await SendAsync(requests, stream, typeUrl, ct, new RpcStatus { Code = (int)code, Message = rejection });
            return;
        }

        _acceptedVersions[typeUrl] = response.VersionInfo;
        status.Acked(typeUrl, response.VersionInfo);
        logger.LogDebug("ACK {Type} version {Version}", XdsTypeUrl.ShortName(typeUrl), response.VersionInfo);
        await SendAsync(requests, stream, typeUrl, ct);

        // New listeners or clusters may reference routes or assignments not yet asked for (or no longer).
        foreach (var named in new[] { XdsTypeUrl.Route, XdsTypeUrl.Endpoint })
        {
            if (!stream.SentNames.TryGetValue(named, out var sent) || !sent.SetEquals(Subscribed(named)))
            {
                if (sent is null && Subscribed(named).Count == 0) continue;
                await SendAsync(requests, stream, named, ct);
            }
        }
    }

    /// <returns>Null when the response is now live; otherwise why not and the status code to NACK with.</returns>
    private async Task<(string? Error, StatusCode Code)> TryAcceptAsync(DiscoveryResponse response, CancellationToken ct)
    {
        var errors = new List<string>();
        var candidate = DiscoveryResponseReader.Merge(_held, response, Subscribed(response.TypeUrl), errors);
        if (errors.Count > 0)
        {
            return (string.Join("; ", errors), StatusCode.InvalidArgument);
        }
        var translation = ProxyConfigTranslator.Translate(candidate, _applied);
        if (translation.Config is not { } config)
        {
            return (string.Join("; ", translation.Errors), StatusCode.InvalidArgument);
        }

        string? refused;
        try
        {
            refused = await applier.ApplyAsync(config, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The data path threw while applying {Type} version {Version}",
                XdsTypeUrl.ShortName(response.TypeUrl), response.VersionInfo);
            refused = $"the data path failed to apply the config: {e.Message}";
        }
        if (refused is not null)
        {
            return (refused, StatusCode.FailedPrecondition);
        }

        _applied = config;
        _routeNames = translation.RouteNames;
        _endpointNames = translation.EndpointNames;
        // What is no longer referenced is no longer subscribed, so it is no longer held either.
        _held = candidate with
        {
            Routes = candidate.Routes.Where(p => _routeNames.Contains(p.Key)).ToDictionary(StringComparer.Ordinal),
            Endpoints = candidate.Endpoints.Where(p => _endpointNames.Contains(p.Key)).ToDictionary(StringComparer.Ordinal),
        };
        reportingClusters.Replace(config.Clusters.Values.Where(c => c.ReportsLoad).Select(c => c.Name));
        return (null, StatusCode.OK);
    }

    private IReadOnlySet<string> Subscribed(string typeUrl) => typeUrl switch
    {
        XdsTypeUrl.Route => _routeNames,
        XdsTypeUrl.Endpoint => _endpointNames,
        _ => FrozenSet<string>.Empty,
    };

    /// <summary>
    /// Every request states the type's whole subscription, the version last accepted and the nonce of the
    /// last response seen; with <paramref name="error"/> it is a NACK of that response.
    /// </summary>
    private async Task SendAsync(
        IClientStreamWriter<DiscoveryRequest> requests, StreamState stream, string typeUrl, CancellationToken ct, RpcStatus? error = null)
    {
        var names = Subscribed(typeUrl);
        var request = new DiscoveryRequest
        {
            TypeUrl = typeUrl,
            VersionInfo = _acceptedVersions.GetValueOrDefault(typeUrl, ""),
            ResponseNonce = stream.Nonces.GetValueOrDefault(typeUrl, ""),
            ErrorDetail = error,
        };
        // LDS and CDS ask for everything with an empty list (wildcard).
        request.ResourceNames.AddRange(names.Order(StringComparer.Ordinal));
        if (!stream.NodeSent)
        {
            request.Node = ProxyNode.Build(options);
            stream.NodeSent = true;
        }
        await requests.WriteAsync(request, ct);
        stream.SentNames[typeUrl] = names;
    }

    /// <summary>What one stream has said and heard; a new stream starts from nothing.</summary>
    private sealed class StreamState
    {
        public bool NodeSent { get; set; }

        public bool ReceivedResponse { get; set; }

        public Dictionary<string, string> Nonces { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, IReadOnlySet<string>> SentNames { get; } = new(StringComparer.Ordinal);
    }
}
