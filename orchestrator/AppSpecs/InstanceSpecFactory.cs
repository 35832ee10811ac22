using Baton.Orchestrator.Validation;
using Baton.Protos.Agent.V1;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.AppSpecs;

/// <summary>
/// Turns an app's spec into what one agent launches: baton.agent.v1.InstanceSpec. The spec's
/// words become the agent's enums and oneofs (probe type → tcp/http/grpc, "SIGTERM" → STOP_SIGNAL_SIGTERM,
/// "on-failure" → RESTART_MODE_ON_FAILURE). Every value is passed explicitly, defaults included,
/// so the agent's own defaults never decide anything and a retried launch carries an identical spec
/// (the agent refuses the same instance id with a different spec).
/// </summary>
public static class InstanceSpecFactory
{
    /// <param name="spec">A spec that passed validation and has its defaults applied (<see cref="AppSpecLoader.Load"/>).</param>
    /// <param name="version">The release the instance runs.</param>
    /// <param name="instanceId">Chosen by the deploy engine and recorded in the desired state before the launch.</param>
    /// <exception cref="ArgumentException">When the spec still holds a value validation would have refused.</exception>
    public static InstanceSpec Create(AppSpec spec, string version, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!NameValidator.IsValid(version)) throw new ArgumentException($"version {NameValidator.Show(version)} is not a valid name", nameof(version));
        if (!NameValidator.IsValid(instanceId)) throw new ArgumentException($"instance id {NameValidator.Show(instanceId)} is not a valid name", nameof(instanceId));

        var complete = AppSpecDefaults.Apply(spec);
        var instance = new InstanceSpec
        {
            InstanceId = instanceId,
            App = complete.Name,
            Version = version,
            Command = complete.Command,
            WorkingDir = complete.WorkingDir,
            RunAsUser = complete.RunAsUser,
            // 0: the agent assigns a free port and passes it as PORT.
            Port = 0,
            Restart = new RestartPolicy
            {
                Mode = RestartModeOf(complete.Restart.Policy),
                InitialBackoffMs = complete.Restart.InitialBackoffMs,
                MaxBackoffMs = complete.Restart.MaxBackoffMs,
                CrashLoopRestarts = complete.Restart.CrashLoopRestarts,
                CrashLoopWindowMs = complete.Restart.CrashLoopWindowMs,
            },
            Stop = new StopPolicy
            {
                Signal = StopSignalOf(complete.Stop.Signal),
                TimeoutMs = complete.Stop.TimeoutMs,
            },
            Readiness = ProbeOf(complete.Readiness),
            Liveness = complete.Liveness is null ? null : ProbeOf(complete.Liveness),
        };
        instance.Args.AddRange(complete.Args);
        instance.Env.Add(complete.Env);
        return instance;
    }

    public static RestartMode RestartModeOf(string policy) => policy switch
    {
        SpecVocabulary.RestartAlways => RestartMode.Always,
        SpecVocabulary.RestartOnFailure => RestartMode.OnFailure,
        SpecVocabulary.RestartNever => RestartMode.Never,
        _ => throw new ArgumentException($"restart policy \"{policy}\" is not one of {SpecVocabulary.OneOf(SpecVocabulary.RestartPolicies)}", nameof(policy)),
    };

    public static StopSignal StopSignalOf(string signal) => signal switch
    {
        "SIGTERM" => StopSignal.Sigterm,
        "SIGINT" => StopSignal.Sigint,
        "SIGQUIT" => StopSignal.Sigquit,
        "SIGHUP" => StopSignal.Sighup,
        "SIGUSR1" => StopSignal.Sigusr1,
        "SIGUSR2" => StopSignal.Sigusr2,
        _ => throw new ArgumentException($"stop signal \"{signal}\" is not one of {SpecVocabulary.OneOf(SpecVocabulary.StopSignals)}", nameof(signal)),
    };

    public static Probe ProbeOf(ProbeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var probe = new Probe
        {
            InitialDelayMs = spec.InitialDelayMs,
            IntervalMs = spec.IntervalMs,
            TimeoutMs = spec.TimeoutMs,
            SuccessThreshold = spec.SuccessThreshold,
            FailureThreshold = spec.FailureThreshold,
        };
        switch (spec.Type)
        {
            case SpecVocabulary.ProbeTcp:
                probe.Tcp = new TcpProbe { Port = spec.Port };
                break;
            case SpecVocabulary.ProbeHttp:
                probe.Http = new HttpProbe { Port = spec.Port, Path = spec.Path };
                break;
            case SpecVocabulary.ProbeGrpc:
                probe.Grpc = new GrpcProbe { Port = spec.Port, Service = spec.Service };
                break;
            default:
                throw new ArgumentException($"probe type \"{spec.Type}\" is not one of {SpecVocabulary.OneOf(SpecVocabulary.ProbeTypes)}", nameof(spec));
        }
        return probe;
    }
}
