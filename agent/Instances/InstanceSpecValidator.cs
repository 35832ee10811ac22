using Baton.Agent.Configuration;
using Baton.Agent.Processes;
using Baton.Agent.Validation;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Instances;

/// <summary>
/// Checks a spec completely before anything is started, and resolves what it refers to
/// (release folder, executable, working dir, user), so a launch either starts everything it
/// was asked to or nothing, with a message naming the field at fault.
/// </summary>
internal sealed class InstanceSpecValidator(AgentOptions options, Action<Probe?, string>? validateProbe = null)
{
    private static readonly HashSet<string> ReservedEnv = ["PORT", "BATON_INSTANCE_ID", "BATON_APP", "BATON_VERSION", InstanceEnvironment.AgentMarkVariable];

    public LaunchPlan Validate(InstanceSpec spec)
    {
        NameValidator.Require(spec.InstanceId, "instance_id");
        var where = $"instance {spec.InstanceId}:";
        Wrap(where, () =>
        {
            NameValidator.Require(spec.App, "app");
            NameValidator.Require(spec.Version, "version");
        });

        var releaseDir = Path.Combine(options.ReleasesDir, spec.App, spec.Version);
        if (!Directory.Exists(releaseDir))
            throw Fail(StatusCode.FailedPrecondition, $"{where} release {spec.App}/{spec.Version} is not on this agent; upload it first");

        if (spec.Port > 65535) throw Fail(StatusCode.InvalidArgument, $"{where} port {spec.Port} is out of range (1-65535, or 0 to assign one)");

        foreach (var (key, value) in spec.Env)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                throw Fail(StatusCode.InvalidArgument, $"{where} env name \"{key}\" is invalid (empty, or contains '=' or NUL)");
            if (value.Contains('\0')) throw Fail(StatusCode.InvalidArgument, $"{where} env {key} contains a NUL character");
            if (ReservedEnv.Contains(key)) throw Fail(StatusCode.InvalidArgument, $"{where} env {key} is set by the agent and cannot be overridden");
        }
        if (spec.Args.Any(a => a.Contains('\0'))) throw Fail(StatusCode.InvalidArgument, $"{where} an argument contains a NUL character");

        var workingDir = Path.GetFullPath(Path.Combine(releaseDir, spec.WorkingDir));
        if (!ExecutableResolver.IsInside(workingDir, releaseDir))
            throw Fail(StatusCode.InvalidArgument, $"{where} working_dir \"{spec.WorkingDir}\" points outside the release folder");
        if (!Directory.Exists(workingDir))
            throw Fail(StatusCode.InvalidArgument, $"{where} working_dir \"{spec.WorkingDir}\" does not exist in release {spec.App}/{spec.Version}");

        var searchPath = spec.Env.TryGetValue("PATH", out var p) ? p : Environment.GetEnvironmentVariable("PATH");
        var executable = Wrap(where, () => ExecutableResolver.Resolve(spec.Command, releaseDir, searchPath));

        UserAccount? runAs = null;
        if (spec.RunAsUser.Length > 0)
        {
            runAs = UserAccount.Find(spec.RunAsUser)
                ?? throw Fail(StatusCode.InvalidArgument, $"{where} run_as_user \"{spec.RunAsUser}\" does not exist on this host");
            if (Native.Libc.getuid() != 0 && runAs.Uid != (uint)Native.Libc.getuid())
                throw Fail(StatusCode.FailedPrecondition, $"{where} run_as_user needs the agent to run as root");
        }

        if (!Enum.IsDefined(spec.Restart?.Mode ?? RestartMode.Unspecified))
            throw Fail(StatusCode.InvalidArgument, $"{where} restart.mode {(int)spec.Restart!.Mode} is unknown");
        if (!Enum.IsDefined(spec.Stop?.Signal ?? StopSignal.Unspecified))
            throw Fail(StatusCode.InvalidArgument, $"{where} stop.signal {(int)spec.Stop!.Signal} is unknown");
        if (spec.Restart is { } r && r.MaxBackoffMs != 0 && r.InitialBackoffMs > r.MaxBackoffMs)
            throw Fail(StatusCode.InvalidArgument, $"{where} restart.initial_backoff_ms is larger than max_backoff_ms");

        if (validateProbe is not null)
        {
            Wrap(where, () => validateProbe(spec.Readiness, "readiness"));
            Wrap(where, () => validateProbe(spec.Liveness, "liveness"));
        }

        return new LaunchPlan(executable, spec.Args, workingDir, releaseDir, runAs);
    }

    private static void Wrap(string where, Action check) => Wrap(where, () => { check(); return 0; });

    /// <summary>Prefixes the instance to an inner check's message, keeping its status code.</summary>
    private static T Wrap<T>(string where, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (RpcException e)
        {
            throw Fail(e.StatusCode, $"{where} {e.Status.Detail}");
        }
    }

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, message));
}
