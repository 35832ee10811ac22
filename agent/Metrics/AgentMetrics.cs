using Baton.Protos.Agent.V1;
using Prometheus;

namespace Baton.Agent.Metrics;

/// <summary>
/// The agent's Prometheus metrics, in a registry of its own (prometheus-net's static default
/// registry is never touched), so tests and several hosts in one process do not share counts.
/// Register one instance as a singleton; every method is thread-safe.
/// </summary>
public sealed class AgentMetrics : Instances.IInstanceMetrics
{
    private readonly Gauge _instances;
    private readonly Counter _restarts;
    private readonly Histogram _spawnSeconds;
    private readonly Counter _probeFailures;
    private readonly Lock _instancesLock = new();
    private readonly HashSet<string> _knownStates = new(StringComparer.Ordinal);

    /// <param name="includeProcessMetrics">Adds prometheus-net's process and runtime figures (CPU, memory, GC, threads).</param>
    public AgentMetrics(bool includeProcessMetrics = true)
    {
        // Fully qualified: inside Baton.Agent.Metrics, "Metrics" names this namespace.
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        _instances = factory.CreateGauge("baton_agent_instances", "Instances known to the agent, by state.",
            new GaugeConfiguration { LabelNames = ["state"] });
        _restarts = factory.CreateCounter("baton_agent_restarts_total", "Restarts of instances, by app.",
            new CounterConfiguration { LabelNames = ["app"] });
        _spawnSeconds = factory.CreateHistogram("baton_agent_spawn_seconds", "Time to spawn an instance's process.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _probeFailures = factory.CreateCounter("baton_agent_probe_failures_total", "Failed readiness and liveness probe attempts, by app and probe.",
            new CounterConfiguration { LabelNames = ["app", "probe"] });

        // Every state is exported from the start, at 0, so dashboards and alerts see a series
        // before the first instance ever reaches that state.
        foreach (var state in Enum.GetValues<InstanceState>())
        {
            if (state == InstanceState.Unspecified) continue;
            var label = StateLabel(state);
            _knownStates.Add(label);
            _instances.WithLabels(label).Set(0);
        }

        if (includeProcessMetrics) DotNetStats.Register(Registry);
    }

    /// <summary>The registry behind the metrics, for exporting or adding collectors.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The label used for <paramref name="state"/>: the proto name in snake case, e.g. "crash_looping".</summary>
    public static string StateLabel(InstanceState state) => state switch
    {
        InstanceState.Starting => "starting",
        InstanceState.Ready => "ready",
        InstanceState.Unready => "unready",
        InstanceState.Backoff => "backoff",
        InstanceState.CrashLooping => "crash_looping",
        InstanceState.Stopping => "stopping",
        InstanceState.Stopped => "stopped",
        InstanceState.Exited => "exited",
        _ => "unspecified",
    };

    /// <summary>
    /// Replaces the instance counts. States absent from <paramref name="byState"/> drop to 0
    /// (rather than keeping their last value), so the caller passes a full snapshot.
    /// </summary>
    public void SetInstanceCounts(IReadOnlyDictionary<string, int> byState)
    {
        ArgumentNullException.ThrowIfNull(byState);
        lock (_instancesLock)
        {
            foreach (var state in _knownStates)
            {
                if (!byState.ContainsKey(state)) _instances.WithLabels(state).Set(0);
            }
            foreach (var (state, count) in byState)
            {
                _knownStates.Add(state);
                _instances.WithLabels(state).Set(count);
            }
        }
    }

    /// <summary>Convenience overload for callers holding the proto enum.</summary>
    public void SetInstanceCounts(IReadOnlyDictionary<InstanceState, int> byState) =>
        SetInstanceCounts(byState.ToDictionary(kv => StateLabel(kv.Key), kv => kv.Value, StringComparer.Ordinal));

    public void RecordRestart(string app) => _restarts.WithLabels(app).Inc();

    public void RecordSpawn(TimeSpan elapsed) => _spawnSeconds.Observe(elapsed.TotalSeconds);

    /// <param name="probe">"readiness" or "liveness".</param>
    public void RecordProbeFailure(string app, string probe) => _probeFailures.WithLabels(app, probe).Inc();

    /// <summary>Writes every metric in the Prometheus text exposition format (version 0.0.4).</summary>
    public Task WriteTextAsync(Stream destination, CancellationToken cancellationToken = default) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
