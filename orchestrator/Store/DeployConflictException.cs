using Baton.Orchestrator.Deploys;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Store;

/// <summary>
/// One deploy per app at a time: raised when a deploy (or a delete) meets an unfinished deploy of
/// the same app. A FailedPrecondition that names the running deploy, so the API passes it on as is.
/// </summary>
public sealed class DeployConflictException(Deploy running)
    : RpcException(new Status(StatusCode.FailedPrecondition, Describe(running)))
{
    public Deploy Running { get; } = running;

    private static string Describe(Deploy running) =>
        $"deploy {running.Id} of {running.App} ({Version(running.FromVersion)} → {running.ToVersion}) is still running " +
        $"(phase {DeployPhases.Name(running.Phase)}, step {running.Step}/{running.Steps}); wait for it to finish, or abort it";

    private static string Version(string version) => version.Length == 0 ? "nothing" : version;
}
