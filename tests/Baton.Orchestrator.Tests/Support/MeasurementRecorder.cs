using System.Diagnostics.Metrics;
using Baton.Orchestrator.Xds;

namespace Baton.Orchestrator.Tests.Support;

/// <summary>Sums one instrument of the Baton.Xds meter. Other tests' servers may add to it, so assert lower bounds.</summary>
internal sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<(long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

    public MeasurementRecorder(string instrument)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == XdsMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (_gate)
            {
                _measurements.Add((value, tags.ToArray()));
            }
        });
        _listener.Start();
    }

    public long Total((string Key, string Value) tag)
    {
        lock (_gate)
        {
            return _measurements.Where(m => m.Tags.Any(t => t.Key == tag.Key && Equals(t.Value, tag.Value))).Sum(m => m.Value);
        }
    }

    public void Dispose() => _listener.Dispose();
}
