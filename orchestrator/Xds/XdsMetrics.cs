using System.Diagnostics.Metrics;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// Counters and histograms of the xDS server, on the "Baton.Xds" meter. Tagged by xDS type (CDS, EDS, LDS, RDS).
/// Instrument names are short because exporters prefix the meter name (Prometheus: baton_xds_pushes).
/// </summary>
public sealed class XdsMetrics
{
    public const string MeterName = "Baton.Xds";

    private readonly Counter<long> _pushes;
    private readonly Counter<long> _acks;
    private readonly Counter<long> _nacks;
    private readonly Counter<long> _staleRequests;
    private readonly Counter<long> _ignoredRequests;
    private readonly Histogram<double> _pushToAck;
    private readonly UpDownCounter<long> _streams;

    public XdsMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _pushes = meter.CreateCounter<long>("pushes", description: "Responses sent to data planes");
        _acks = meter.CreateCounter<long>("acks", description: "Responses data planes accepted");
        _nacks = meter.CreateCounter<long>("nacks", description: "Responses data planes rejected");
        _staleRequests = meter.CreateCounter<long>("stale_requests", description: "Requests ignored for a stale nonce");
        _ignoredRequests = meter.CreateCounter<long>("ignored_requests", description: "Requests for type URLs Baton does not serve");
        _pushToAck = meter.CreateHistogram<double>("push_to_ack", unit: "s", description: "Time from sending a response to its ACK or NACK");
        _streams = meter.CreateUpDownCounter<long>("streams", description: "Open ADS streams");
    }

    public void Pushed(string typeUrl) => _pushes.Add(1, Tag(typeUrl));

    public void Acked(string typeUrl, TimeSpan latency)
    {
        _acks.Add(1, Tag(typeUrl));
        _pushToAck.Record(latency.TotalSeconds, Tag(typeUrl));
    }

    public void Nacked(string typeUrl, TimeSpan latency)
    {
        _nacks.Add(1, Tag(typeUrl));
        _pushToAck.Record(latency.TotalSeconds, Tag(typeUrl));
    }

    public void Stale(string typeUrl) => _staleRequests.Add(1, Tag(typeUrl));

    public void Ignored() => _ignoredRequests.Add(1);

    public void StreamOpened() => _streams.Add(1);

    public void StreamClosed() => _streams.Add(-1);

    private static KeyValuePair<string, object?> Tag(string typeUrl) => new("xds.type", XdsTypeUrls.ShortName(typeUrl));
}
