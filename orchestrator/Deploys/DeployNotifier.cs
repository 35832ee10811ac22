using System.Collections.Concurrent;
using System.Threading.Channels;
using Baton.Protos.Orchestrator.V1;

namespace Baton.Orchestrator.Deploys;

/// <summary>Tells watchers (`baton deploy --watch`) every saved change of an app's deploy.</summary>
public sealed class DeployNotifier
{
    private readonly ConcurrentDictionary<string, List<Channel<Deploy>>> _watchers = new(StringComparer.Ordinal);

    public void Publish(Deploy deploy)
    {
        if (!_watchers.TryGetValue(deploy.App, out var list)) return;
        lock (list)
            foreach (var channel in list)
                channel.Writer.TryWrite(deploy.Clone()); // latest-wins: a slow watcher skips intermediate states
    }

    public async IAsyncEnumerable<Deploy> WatchAsync(string app, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<Deploy>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var list = _watchers.GetOrAdd(app, _ => []);
        lock (list) list.Add(channel);
        try
        {
            await foreach (var deploy in channel.Reader.ReadAllAsync(ct)) yield return deploy;
        }
        finally
        {
            lock (list) list.Remove(channel);
        }
    }
}
