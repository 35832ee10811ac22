using Baton.Protos.Agent.V1;

namespace Baton.Agent.Probes;

/// <summary>
/// Values a probe's zero fields stand for. Proto3 cannot tell "unset" from 0, so 0 means
/// "default" everywhere:
/// <list type="bullet">
/// <item><c>initial_delay_ms</c> 0: the first check runs as soon as the runner starts.</item>
/// <item><c>interval_ms</c> 0: <see cref="IntervalMs"/> (1000 ms) between the starts of two checks.</item>
/// <item><c>timeout_ms</c> 0: <see cref="TimeoutMs"/> (1000 ms) per check.</item>
/// <item><c>success_threshold</c> 0: <see cref="SuccessThreshold"/> (1) consecutive pass turns the verdict healthy.</item>
/// <item><c>failure_threshold</c> 0: <see cref="FailureThreshold"/> (3) consecutive failures turn it unhealthy.</item>
/// <item><c>http.path</c> empty: <see cref="HttpPath"/> ("/").</item>
/// <item>any <c>port</c> 0: the instance's own port; <c>grpc.service</c> empty: the whole server.</item>
/// </list>
/// </summary>
public static class ProbeDefaults
{
    public const uint InitialDelayMs = 0;
    public const uint IntervalMs = 1000;
    public const uint TimeoutMs = 1000;
    public const uint SuccessThreshold = 1;
    public const uint FailureThreshold = 3;
    public const string HttpPath = "/";

    /// <summary>The probe's timing with defaults applied. Expects a probe that passed <see cref="ProbeValidator"/>.</summary>
    public static ProbeSettings Normalize(Probe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return new ProbeSettings(
            InitialDelay: TimeSpan.FromMilliseconds(probe.InitialDelayMs),
            Interval: TimeSpan.FromMilliseconds(Or(probe.IntervalMs, IntervalMs)),
            Timeout: TimeSpan.FromMilliseconds(Or(probe.TimeoutMs, TimeoutMs)),
            SuccessThreshold: checked((int)Or(probe.SuccessThreshold, SuccessThreshold)),
            FailureThreshold: checked((int)Or(probe.FailureThreshold, FailureThreshold)));
    }

    /// <summary>The HTTP path to request, with the default applied.</summary>
    public static string PathOf(HttpProbe http) => http.Path.Length == 0 ? HttpPath : http.Path;

    private static uint Or(uint value, uint fallback) => value == 0 ? fallback : value;
}
