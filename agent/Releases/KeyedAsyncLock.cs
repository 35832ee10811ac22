namespace Baton.Agent.Releases;

/// <summary>
/// One asynchronous mutex per key, created on first use and dropped when nobody holds or waits
/// for it, so a long-lived agent does not accumulate one semaphore per release it ever saw.
/// </summary>
internal sealed class KeyedAsyncLock<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Slot> _slots = new();
    private readonly Lock _gate = new();

    public async Task<IDisposable> AcquireAsync(TKey key, CancellationToken ct)
    {
        Slot slot;
        lock (_gate)
        {
            if (!_slots.TryGetValue(key, out var existing))
            {
                existing = new Slot();
                _slots.Add(key, existing);
            }
            slot = existing;
            slot.Users++;
        }

        try
        {
            await slot.Semaphore.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, slot);
            throw;
        }
        return new Holder(this, key, slot);
    }

    private void Leave(TKey key, Slot slot)
    {
        lock (_gate)
        {
            if (--slot.Users == 0)
            {
                _slots.Remove(key);
                slot.Semaphore.Dispose();
            }
        }
    }

    private sealed class Slot
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);
        public int Users { get; set; }
    }

    private sealed class Holder(KeyedAsyncLock<TKey> owner, TKey key, Slot slot) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            slot.Semaphore.Release();
            owner.Leave(key, slot);
        }
    }
}
