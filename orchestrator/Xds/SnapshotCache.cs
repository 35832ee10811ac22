namespace Baton.Orchestrator.Xds;

/// <summary>
/// The single seam between "what should be served" and the streams serving it. Writers build the app's
/// resources (serializing each changed resource once) and swap in a new immutable snapshot; readers
/// take <see cref="Current"/> without locking. No socket is ever written under the write lock.
/// </summary>
public sealed class SnapshotCache
{
    private readonly Lock _writeGate = new();
    private readonly AppResourceBuilder _builder;
    private XdsSnapshot _current = XdsSnapshot.Empty;

    public SnapshotCache(AppResourceBuilder builder)
    {
        _builder = builder;
    }

    public XdsSnapshot Current => Volatile.Read(ref _current);

    /// <exception cref="ArgumentException">The routing is invalid; the snapshot is unchanged.</exception>
    /// <returns>The new snapshot, or the current one when the app's resources did not change.</returns>
    public XdsSnapshot SetApp(AppRouting app)
    {
        AppRoutingValidator.Validate(app);
        lock (_writeGate)
        {
            var current = _current;
            var generation = current.Generation + 1;
            var previous = current.Apps.GetValueOrDefault(app.Name);
            var resources = _builder.Build(app, previous, generation);
            // Reconcilers re-state routing that has not changed; that must not wake every stream.
            if (resources.SameResourcesAs(previous)) return current;
            var next = new XdsSnapshot(generation, current.Apps.SetItem(app.Name, resources));
            Volatile.Write(ref _current, next);
            return next;
        }
    }

    /// <returns>The new snapshot, or null when the app was not there.</returns>
    public XdsSnapshot? RemoveApp(string name)
    {
        AppRoutingValidator.ValidateAppName(name);
        lock (_writeGate)
        {
            var current = _current;
            if (!current.Apps.ContainsKey(name))
            {
                return null;
            }
            var next = new XdsSnapshot(current.Generation + 1, current.Apps.Remove(name));
            Volatile.Write(ref _current, next);
            return next;
        }
    }
}
