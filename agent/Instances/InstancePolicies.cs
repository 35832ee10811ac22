using Baton.Protos.Agent.V1;

namespace Baton.Agent.Instances;

/// <summary>The contract's zero values turned into the defaults they stand for.</summary>
internal sealed record InstancePolicies(
    RestartMode RestartMode,
    TimeSpan InitialBackoff,
    TimeSpan MaxBackoff,
    int CrashLoopRestarts,
    TimeSpan CrashLoopWindow,
    int StopSignal,
    TimeSpan StopTimeout)
{
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(15);
    public const int DefaultCrashLoopRestarts = 10;
    public static readonly TimeSpan DefaultCrashLoopWindow = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(5);

    public static InstancePolicies From(InstanceSpec spec)
    {
        var r = spec.Restart ?? new RestartPolicy();
        var s = spec.Stop ?? new StopPolicy();
        return new InstancePolicies(
            r.Mode == RestartMode.Unspecified ? RestartMode.OnFailure : r.Mode,
            r.InitialBackoffMs == 0 ? DefaultInitialBackoff : TimeSpan.FromMilliseconds(r.InitialBackoffMs),
            r.MaxBackoffMs == 0 ? DefaultMaxBackoff : TimeSpan.FromMilliseconds(r.MaxBackoffMs),
            r.CrashLoopRestarts == 0 ? DefaultCrashLoopRestarts : (int)r.CrashLoopRestarts,
            r.CrashLoopWindowMs == 0 ? DefaultCrashLoopWindow : TimeSpan.FromMilliseconds(r.CrashLoopWindowMs),
            SignalNumber(s.Signal),
            s.TimeoutMs == 0 ? DefaultStopTimeout : TimeSpan.FromMilliseconds(s.TimeoutMs));
    }

    public static int SignalNumber(StopSignal signal) => signal switch
    {
        Protos.Agent.V1.StopSignal.Sigint => 2,
        Protos.Agent.V1.StopSignal.Sigquit => 3,
        Protos.Agent.V1.StopSignal.Sighup => 1,
        Protos.Agent.V1.StopSignal.Sigusr1 => 10,
        Protos.Agent.V1.StopSignal.Sigusr2 => 12,
        _ => 15,
    };
}
