namespace Baton.Orchestrator.Xds;

/// <summary>
/// The seam between the deploy engine and the xDS server: the engine states what each app's routing
/// should be; the server derives resources, pushes them in make-before-break order and reports ACKs.
/// </summary>
public interface IXdsPublisher
{
    /// <summary>Replaces the app's routing; connected data planes get the change without waiting.</summary>
    /// <exception cref="ArgumentException">The routing is invalid (names, ports, weights).</exception>
    void SetApp(AppRouting app);

    /// <summary>Withdraws the app; its listeners go first and its clusters last. Unknown names are a no-op.</summary>
    void RemoveApp(string name);

    /// <summary>
    /// Applies <paramref name="app"/> and waits until every data plane connected now that routes the app has
    /// ACKed its route (with the clusters and endpoints it references), or one NACKed, or the timeout passed.
    /// </summary>
    Task<WeightConfirmation> ApplyAndConfirmAsync(AppRouting app, TimeSpan timeout, CancellationToken cancellationToken);
}
