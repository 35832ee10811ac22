using System.Collections.Immutable;

namespace Baton.Orchestrator.Xds;

/// <summary>
/// The deploy engine's entry to the xDS server: updates the snapshot cache, wakes the streams and
/// tracks weight steps until their data planes ACK them.
/// </summary>
internal sealed class XdsPublisher : IXdsPublisher, IXdsMonitor, IStreamObserver
{
    private readonly SnapshotCache _cache;
    private readonly StreamRegistry _streams;
    private ImmutableList<ConfirmationWaiter> _waiters = ImmutableList<ConfirmationWaiter>.Empty;

    public XdsPublisher(SnapshotCache cache, StreamRegistry streams)
    {
        _cache = cache;
        _streams = streams;
    }

    public void SetApp(AppRouting app)
    {
        var before = _cache.Current;
        if (!ReferenceEquals(_cache.SetApp(app), before)) _streams.WakeAll();
    }

    public void RemoveApp(string name)
    {
        if (_cache.RemoveApp(name) is not null)
        {
            _streams.WakeAll();
        }
    }

    public async Task<WeightConfirmation> ApplyAndConfirmAsync(AppRouting app, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        var snapshot = _cache.SetApp(app);
        var resources = snapshot.Apps[app.Name];
        var routeName = ResourceNames.Route(app.Name);
        var route = resources.Of(XdsTypeUrls.Route)[routeName];
        var expected = new List<CachedResource> { route };
        foreach (var cluster in route.References)
        {
            expected.Add(resources.Of(XdsTypeUrls.Cluster)[cluster]);
            expected.Add(resources.Of(XdsTypeUrls.Endpoint)[cluster]);
        }

        var waiter = new ConfirmationWaiter(expected, _streams.All.Where(s => s.RoutesApp(app.Name, routeName)).ToList());
        ImmutableInterlocked.Update(ref _waiters, list => list.Add(waiter));
        try
        {
            _streams.WakeAll();
            waiter.EvaluateAll();
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            await using var registration = timer.Token.Register(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    waiter.Cancel(cancellationToken);
                }
                else
                {
                    waiter.TimeOut();
                }
            }).ConfigureAwait(false);
            return await waiter.Task.ConfigureAwait(false);
        }
        finally
        {
            ImmutableInterlocked.Update(ref _waiters, list => list.Remove(waiter));
        }
    }

    public IReadOnlyList<XdsStreamStatus> ListStreams() =>
        _streams.All.Select(s => s.Status()).OrderBy(s => s.StreamId).ToList();

    void IStreamObserver.OnProgress(AdsStream stream)
    {
        foreach (var waiter in Volatile.Read(ref _waiters))
        {
            waiter.Evaluate(stream);
        }
    }

    void IStreamObserver.OnClosed(AdsStream stream) => ((IStreamObserver)this).OnProgress(stream);
}
