using Baton.Orchestrator.Store;
using Baton.Protos.Orchestrator.V1;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.Store;

/// <summary>Deploys and desired state: written together, one deploy per app, resumable after a restart.</summary>
public sealed class DeployStoreTests
{
    private static DesiredState Desired(string deployId, long revision, uint v1, uint v2) =>
        DesiredState.Create("web", revision, deployId,
        [
            StoreFixture.Release("v1", v1, "web", "web-v1-a1-0", "web-v1-a1-1"),
            StoreFixture.Release("v2", v2, "web", "web-v2-a1-0", "web-v2-a1-1"),
        ]);

    private static async Task<StoreFixture> WithAppAsync()
    {
        var fixture = await StoreFixture.OpenAsync();
        await fixture.Store.PutAppAsync(StoreFixture.Spec(), "");
        return fixture;
    }

    [Fact]
    public async Task A_deploy_starts_together_with_its_desired_state()
    {
        await using var fixture = await WithAppAsync();

        var started = await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 100, 0));

        Assert.NotNull(started.Deploy.CreatedAt);
        Assert.Null(started.Deploy.FinishedAt);
        Assert.NotNull(started.Desired);
        Assert.Equal(1, started.Desired.Revision);
        Assert.Equal("d1", started.Desired.DeployId);
        Assert.Equal([new VersionWeight("v1", 100), new VersionWeight("v2", 0)], started.Desired.Weights);
        Assert.Equal(["web-v2-a1-0", "web-v2-a1-1"], started.Desired.Releases[1].Instances.Select(i => i.InstanceId));
        Assert.Equal(started.Deploy, await fixture.Store.GetActiveDeployAsync("web"));
    }

    [Fact]
    public async Task The_engines_control_flags_are_saved_with_the_deploy_and_survive_a_reopen()
    {
        await using var fixture = await WithAppAsync();
        await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 100, 0), new DeployControl { PauseRequested = true });
        Assert.True((await fixture.Store.GetDeployControlAsync("d1"))!.PauseRequested);

        await fixture.Store.UpdateDeployAsync(StoreFixture.Deploy("d1", phase: DeployPhase.Shifting), null, new DeployControl { AbortReason = "aborted by operator" });
        await fixture.ReopenAsync();

        var control = await fixture.Store.GetDeployControlAsync("d1");
        Assert.NotNull(control);
        Assert.False(control.PauseRequested);
        Assert.Equal("aborted by operator", control.AbortReason);
        Assert.Null(await fixture.Store.GetDeployControlAsync("nope"));
    }

    [Fact]
    public async Task A_second_deploy_of_the_same_app_is_refused_naming_the_running_one()
    {
        await using var fixture = await WithAppAsync();
        await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1", phase: DeployPhase.Shifting), Desired("d1", 0, 100, 0));

        var refused = await Assert.ThrowsAsync<DeployConflictException>(() =>
            fixture.Store.StartDeployAsync(StoreFixture.Deploy("d2", to: "v3"), Desired("d2", 1, 100, 0)));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("deploy d1 of web (v1 → v2) is still running (phase shifting, step 0/3); wait for it to finish, or abort it", refused.Status.Detail);
        Assert.Equal("d1", refused.Running.Id);
        Assert.Null(await fixture.Store.GetDeployAsync("d2"));
        Assert.Equal(1, (await fixture.Store.GetDesiredStateAsync("web"))!.Revision);

        var delete = await Assert.ThrowsAsync<DeployConflictException>(() => fixture.Store.DeleteAppAsync("web"));
        Assert.Equal("d1", delete.Running.Id);
    }

    [Fact]
    public async Task Finishing_a_deploy_frees_the_app_and_freezes_the_record()
    {
        await using var fixture = await WithAppAsync();
        var deploy = (await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 100, 0))).Deploy;

        deploy.Phase = DeployPhase.Succeeded;
        deploy.Step = 3;
        var finished = await fixture.Store.UpdateDeployAsync(deploy, DesiredState.Create("web", 1, null, [StoreFixture.Release("v2", 100, "web", "web-v2-a1-0")]));
        Assert.NotNull(finished.Deploy.FinishedAt);
        Assert.Null(finished.Desired!.DeployId);
        Assert.Null(await fixture.Store.GetActiveDeployAsync("web"));

        var late = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.UpdateDeployAsync(deploy, null));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal("deploy d1 of web already finished (succeeded); start a new one", late.Status.Detail);

        await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d2", from: "v2", to: "v3"), DesiredState.Create("web", 2, "d2", [StoreFixture.Release("v2", 100, "web", "web-v2-a1-0")]));
        Assert.Equal(["d2", "d1"], (await fixture.Store.ListDeploysAsync("web", 0)).Select(d => d.Id));
        Assert.Equal(["d2"], (await fixture.Store.ListDeploysAsync("web", 1)).Select(d => d.Id));
    }

    [Fact]
    public async Task A_phase_change_and_its_desired_state_commit_together_or_not_at_all()
    {
        await using var fixture = await WithAppAsync();
        var deploy = (await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 100, 0))).Deploy;

        deploy.Phase = DeployPhase.Shifting;
        deploy.Step = 1;
        // Based on a stale revision: the whole write must be refused, the phase change included.
        var stale = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.UpdateDeployAsync(deploy, Desired("d1", 0, 90, 10)));
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal("the desired state of web changed meanwhile (revision 1, this change was based on 0); read it again and retry", stale.Status.Detail);
        Assert.Equal(DeployPhase.Pending, (await fixture.Store.GetDeployAsync("d1"))!.Phase);
        Assert.Equal([100u, 0u], (await fixture.Store.GetDesiredStateAsync("web"))!.Releases.Select(r => r.Weight));

        var applied = await fixture.Store.UpdateDeployAsync(deploy, Desired("d1", 1, 90, 10));
        Assert.Equal(DeployPhase.Shifting, (await fixture.Store.GetDeployAsync("d1"))!.Phase);
        Assert.Equal(2, applied.Desired!.Revision);
        Assert.Equal([90u, 10u], (await fixture.Store.GetDesiredStateAsync("web"))!.Releases.Select(r => r.Weight));
    }

    [Fact]
    public async Task Acked_weights_are_observations_that_do_not_move_the_revision()
    {
        await using var fixture = await WithAppAsync();
        await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 90, 10));
        Assert.False((await fixture.Store.GetDesiredStateAsync("web"))!.WeightsConfirmed);

        await fixture.Store.RecordAckedWeightsAsync("web", [new VersionWeight("v1", 90), new VersionWeight("v2", 10)]);

        var state = (await fixture.Store.GetDesiredStateAsync("web"))!;
        Assert.Equal(1, state.Revision);
        Assert.True(state.WeightsConfirmed);
        Assert.NotNull(state.AckedAt);
        // A new desired state keeps the acks: they describe the data planes, not the intent.
        var next = await fixture.Store.SaveDesiredStateAsync(Desired("d1", 1, 50, 50));
        Assert.Equal([new VersionWeight("v1", 90), new VersionWeight("v2", 10)], next.AckedWeights);
        Assert.False(next.WeightsConfirmed);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.RecordAckedWeightsAsync("api", []));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Everything_a_reconciler_needs_survives_a_restart()
    {
        await using var fixture = await WithAppAsync();
        var retireAfter = DateTimeOffset.FromUnixTimeMilliseconds(1_900_000_000_000);
        var desired = DesiredState.Create("web", 0, "d1",
        [
            new DesiredRelease("v1", 0, StoreFixture.Spec(), 1, "aa", [new DesiredInstance("a1", "web-v1-a1-0", "10.0.0.1", 20001)], Draining: true, RetireAfter: retireAfter),
            new DesiredRelease("v2", 100, StoreFixture.Spec(command: "bun"), 2, "bb", [new DesiredInstance("a2", "web-v2-a2-0")]),
        ]);
        var deploy = StoreFixture.Deploy("d1", phase: DeployPhase.Draining);
        deploy.Receipt.Add(new StepReceipt { Index = 1, Verdict = "passed", Weights = { new ReleaseWeight { Version = "v2", Weight = 100 } } });
        var started = await fixture.Store.StartDeployAsync(deploy, desired);
        await fixture.Store.RecordAckedWeightsAsync("web", [new VersionWeight("v2", 100)]);

        await fixture.ReopenAsync();

        Assert.Equal(started.Deploy, Assert.Single(await fixture.Store.ListActiveDeploysAsync()));
        var state = Assert.Single(await fixture.Store.ListDesiredStatesAsync());
        Assert.Equal("d1", state.DeployId);
        Assert.Equal(1, state.Revision);
        Assert.True(state.WeightsConfirmed);
        var old = state.Releases[0];
        Assert.Equal(("v1", 0u, true, retireAfter, "aa", 1ul), (old.Version, old.Weight, old.Draining, old.RetireAfter!.Value, old.ArtifactSha256, old.SpecGeneration));
        Assert.Equal(new DesiredInstance("a1", "web-v1-a1-0", "10.0.0.1", 20001), Assert.Single(old.Instances));
        Assert.Equal(StoreFixture.Spec(command: "bun"), state.Releases[1].Spec);
        Assert.Null(state.Releases[1].RetireAfter);
        Assert.Equal("passed", started.Deploy.Receipt[0].Verdict);
    }

    [Fact]
    public async Task Malformed_records_are_refused_before_anything_is_written()
    {
        await using var fixture = await WithAppAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d2", 0, 100, 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 60, 60)));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1", phase: DeployPhase.Unspecified), Desired("d1", 0, 100, 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Store.SaveDesiredStateAsync(
            DesiredState.Create("web", 0, null, [StoreFixture.Release("v1", 100, "web", "same-id"), StoreFixture.Release("v2", 0, "web", "same-id")])));
        var unknownApp = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1", app: "api"),
            DesiredState.Create("api", 0, "d1", [StoreFixture.Release("v1", 100, "api")])));
        Assert.Equal(StatusCode.NotFound, unknownApp.StatusCode);

        await fixture.Store.StartDeployAsync(StoreFixture.Deploy("d1"), Desired("d1", 0, 100, 0));
        var changed = StoreFixture.Deploy("d1", to: "v9");
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Store.UpdateDeployAsync(changed, null));
        Assert.Empty(await fixture.Store.ListDeploysAsync("api", 0));
    }

    [Fact]
    public async Task An_artifact_of_a_desired_release_cannot_be_deleted()
    {
        await using var fixture = await WithAppAsync();
        await fixture.Store.SaveArtifactAsync("web", "v1", new MemoryStream([1]), null);
        await fixture.Store.SaveDesiredStateAsync(DesiredState.Create("web", 0, null, [StoreFixture.Release("v1", 100, "web", "web-v1-0")]));

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Store.DeleteArtifactAsync("web", "v1"));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.NotNull(await fixture.Store.GetArtifactAsync("web", "v1"));
    }
}
