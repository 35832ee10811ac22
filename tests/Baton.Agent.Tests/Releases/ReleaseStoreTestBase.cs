using Baton.Agent.Configuration;
using Baton.Agent.Releases;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Agent.Tests.Releases;

/// <summary>A real release store over its own temporary data folder, deleted afterwards.</summary>
public abstract class ReleaseStoreTestBase : IDisposable
{
    internal static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected ReleaseStoreTestBase()
    {
        DataDir = Directory.CreateTempSubdirectory("baton-releases-").FullName;
        Options = new AgentOptions { DataDir = DataDir, KeepReleases = 3, MaxChunkBytes = 64 * 1024 };
    }

    protected string DataDir { get; }
    internal AgentOptions Options { get; }
    internal FakeReleaseUsage Usage { get; } = new();
    internal ManualTimeProvider Clock { get; } = new(Epoch);
    protected string ReleasesDir => Options.ReleasesDir;
    protected string TmpDir => Path.Combine(ReleasesDir, ".tmp");

    internal ReleaseStore CreateStore() => new(Options, Usage, NullLogger<ReleaseStore>.Instance, Clock);

    internal static async Task<RpcException> AssertRejected(StatusCode expected, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<RpcException>(action);
        Assert.Equal(expected, e.StatusCode);
        return e;
    }

    /// <summary>Every path under the data folder (relative), so a test can compare before and after.</summary>
    protected IReadOnlyList<string> Snapshot() =>
        Directory.EnumerateFileSystemEntries(DataDir, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(DataDir, p))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>A store that never committed anything holds exactly its two folders.</summary>
    protected void AssertNothingStored() =>
        Assert.Equal(["releases", Path.Combine("releases", ".tmp")], Snapshot());

    public void Dispose()
    {
        Directory.Delete(DataDir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
