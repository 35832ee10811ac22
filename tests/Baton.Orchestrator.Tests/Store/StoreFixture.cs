using Baton.Orchestrator.Store;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Tests.Store;

/// <summary>A real SQLite store in its own temporary data dir, removed afterwards; plus builders for records.</summary>
internal sealed class StoreFixture : IAsyncDisposable
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("baton-store-").FullName;

    public SqliteStore Store { get; private set; } = null!;

    public static async Task<StoreFixture> OpenAsync()
    {
        var fixture = new StoreFixture();
        fixture.Store = await SqliteStore.OpenAsync(fixture.DataDir);
        return fixture;
    }

    /// <summary>Closes the store and opens it again on the same files.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await SqliteStore.OpenAsync(DataDir);
    }

    public static AppSpec Spec(string name = "web", string command = "node") => new() { Name = name, Command = command, Routing = new RoutingSpec { PublicPort = 8080 } };

    public static Deploy Deploy(string id, string app = "web", string from = "v1", string to = "v2", DeployPhase phase = DeployPhase.Pending) =>
        new() { Id = id, App = app, Kind = DeployKind.Deploy, FromVersion = from, ToVersion = to, Phase = phase, Steps = 3 };

    public static DesiredRelease Release(string version, uint weight, string app = "web", params string[] instanceIds) =>
        new(version, weight, Spec(app), 1, "", instanceIds.Select(id => new DesiredInstance("a1", id)).ToList());

    public async ValueTask DisposeAsync()
    {
        if (Store is not null) await Store.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
