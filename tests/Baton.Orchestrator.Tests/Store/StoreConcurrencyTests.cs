using Baton.Orchestrator.Store;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace Baton.Orchestrator.Tests.Store;

/// <summary>Many writers at once through one store: every write lands whole, and the rules hold.</summary>
public sealed class StoreConcurrencyTests
{
    [Fact]
    public async Task Concurrent_writers_do_not_lose_or_corrupt_anything()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        const int writers = 8, writesEach = 20;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < writesEach; i++)
            {
                await fixture.Store.PutAppAsync(StoreFixture.Spec($"app-{w}-{i}"), $"writer {w}");
                await fixture.Store.AddAgentAsync(new AgentRecord($"agent-{w}-{i}", $"10.0.{w}.{i}:7070", new Dictionary<string, string>(), default));
                await fixture.Store.GetAppAsync($"app-{w}-{Math.Max(0, i - 1)}");
            }
        })));

        Assert.Equal(writers * writesEach, (await fixture.Store.ListAppsAsync()).Count);
        Assert.Equal(writers * writesEach, (await fixture.Store.ListAgentsAsync()).Count);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(fixture.DataDir, SqliteStore.DatabaseFileName)};Pooling=False");
        await connection.OpenAsync();
        await using var check = new SqliteCommand("PRAGMA integrity_check;", connection);
        Assert.Equal("ok", await check.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Racing_deploys_of_one_app_let_exactly_one_through()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        await fixture.Store.PutAppAsync(StoreFixture.Spec(), "");

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            try
            {
                await fixture.Store.StartDeployAsync(StoreFixture.Deploy($"d{i}"),
                    DesiredState.Create("web", 0, $"d{i}", [StoreFixture.Release("v2", 100, "web", $"web-v2-{i}")]));
                return "started";
            }
            catch (DeployConflictException)
            {
                return "conflict";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
            {
                return "stale";
            }
        })));

        Assert.Equal(1, attempts.Count(a => a == "started"));
        Assert.Equal(9, attempts.Count(a => a == "conflict"));
        Assert.Single(await fixture.Store.ListActiveDeploysAsync());
        Assert.Equal(1, (await fixture.Store.GetDesiredStateAsync("web"))!.Revision);
    }

    [Fact]
    public async Task Racing_desired_state_writers_each_land_once_or_are_told_to_retry()
    {
        await using var fixture = await StoreFixture.OpenAsync();
        await fixture.Store.PutAppAsync(StoreFixture.Spec(), "");
        var landed = 0;

        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                // Read-modify-write with the revision read; retry when someone else got in between.
                while (true)
                {
                    var current = await fixture.Store.GetDesiredStateAsync("web");
                    var next = DesiredState.Create("web", current?.Revision ?? 0, null,
                        [StoreFixture.Release("v1", 100, "web", $"web-{w}-{i}")]);
                    try
                    {
                        await fixture.Store.SaveDesiredStateAsync(next);
                        Interlocked.Increment(ref landed);
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
                    {
                        // Someone else wrote first: read again.
                    }
                }
            }
        })));

        Assert.Equal(60, landed);
        Assert.Equal(60, (await fixture.Store.GetDesiredStateAsync("web"))!.Revision);
    }
}
