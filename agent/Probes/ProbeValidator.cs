using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Probes;

/// <summary>
/// Checks a probe at the API edge so that the runner never sees one it cannot run.
/// Rules, beyond the zero-means-default ones of <see cref="ProbeDefaults"/>:
/// <list type="bullet">
/// <item>exactly one of tcp, http, grpc;</item>
/// <item>ports 0 (the instance's port) or 1-65535;</item>
/// <item>http.path starts with '/', at most <see cref="MaxPathLength"/> printable ASCII
/// characters, no '#' (a fragment is never sent, so it would only mislead);</item>
/// <item>grpc.service at most <see cref="MaxServiceLength"/> characters, no control characters;</item>
/// <item>interval_ms at least <see cref="MinIntervalMs"/>: faster probing loads the app more
/// than it tells about it;</item>
/// <item>timeout_ms at least <see cref="MinTimeoutMs"/>: below that a busy host fails
/// healthy apps and the verdict flaps;</item>
/// <item>every duration at most <see cref="MaxDurationMs"/> (one hour) and each threshold at
/// most <see cref="MaxThreshold"/>, since larger values are typos, not intentions.</item>
/// </list>
/// A timeout longer than the interval is allowed: checks never overlap, so a slow check only
/// delays the next one, which then starts as soon as the slow one ends.
/// </summary>
public static class ProbeValidator
{
    public const uint MinIntervalMs = 50;
    public const uint MinTimeoutMs = 10;
    public const uint MaxDurationMs = 3_600_000;
    public const uint MaxThreshold = 100;
    public const uint MaxPort = 65535;
    public const int MaxPathLength = 2048;
    public const int MaxServiceLength = 1024;

    /// <summary>
    /// Throws InvalidArgument naming the offending field (prefixed by <paramref name="field"/>,
    /// e.g. "readiness") when <paramref name="probe"/> is not runnable. A null probe means
    /// "no probe" and is valid.
    /// </summary>
    public static void Validate(Probe? probe, string field)
    {
        if (probe is null) return;

        switch (probe.KindCase)
        {
            case Probe.KindOneofCase.Tcp:
                RequirePort(probe.Tcp.Port, $"{field}.tcp.port");
                break;
            case Probe.KindOneofCase.Http:
                RequirePort(probe.Http.Port, $"{field}.http.port");
                RequirePath(probe.Http.Path, $"{field}.http.path");
                break;
            case Probe.KindOneofCase.Grpc:
                RequirePort(probe.Grpc.Port, $"{field}.grpc.port");
                RequireService(probe.Grpc.Service, $"{field}.grpc.service");
                break;
            default:
                throw Invalid($"{field}: set one of tcp, http, grpc");
        }

        RequireDuration(probe.InitialDelayMs, 0, $"{field}.initial_delay_ms");
        RequireDuration(probe.IntervalMs, MinIntervalMs, $"{field}.interval_ms");
        RequireDuration(probe.TimeoutMs, MinTimeoutMs, $"{field}.timeout_ms");
        RequireThreshold(probe.SuccessThreshold, $"{field}.success_threshold");
        RequireThreshold(probe.FailureThreshold, $"{field}.failure_threshold");
    }

    private static void RequirePort(uint port, string field)
    {
        if (port > MaxPort)
            throw Invalid($"{field} {port} is out of range: use 1-{MaxPort}, or 0 for the instance's port");
    }

    private static void RequirePath(string path, string field)
    {
        // Empty takes the default "/".
        if (path.Length == 0) return;
        if (path[0] != '/')
            throw Invalid($"{field} must start with '/'");
        if (path.Length > MaxPathLength)
            throw Invalid($"{field} is {path.Length} characters long; at most {MaxPathLength} are allowed");
        foreach (var c in path)
        {
            if (c is < '!' or > '~')
                throw Invalid($"{field} may only hold printable ASCII characters without spaces (percent-encode the others)");
            if (c == '#')
                throw Invalid($"{field} must not contain '#': a fragment is never sent to the server");
        }
    }

    private static void RequireService(string service, string field)
    {
        if (service.Length > MaxServiceLength)
            throw Invalid($"{field} is {service.Length} characters long; at most {MaxServiceLength} are allowed");
        if (service.Any(char.IsControl))
            throw Invalid($"{field} must not contain control characters");
    }

    private static void RequireDuration(uint ms, uint min, string field)
    {
        // 0 takes the default, which is always within bounds.
        if (ms == 0) return;
        if (ms < min)
            throw Invalid($"{field} {ms} is below the minimum of {min} ms (0 takes the default)");
        if (ms > MaxDurationMs)
            throw Invalid($"{field} {ms} is above the maximum of {MaxDurationMs} ms (one hour)");
    }

    private static void RequireThreshold(uint value, string field)
    {
        if (value > MaxThreshold)
            throw Invalid($"{field} {value} is above the maximum of {MaxThreshold} (0 takes the default)");
    }

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}
