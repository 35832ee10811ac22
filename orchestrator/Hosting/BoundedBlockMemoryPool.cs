using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Kestrel's buffer pool with a cap on what it keeps. Kestrel's own pool (4 KiB blocks, as this one) keeps
/// every block it ever handed out and gives back at most 5 % of the idle ones every 10 s. A control plane's
/// traffic is bursts: one weight step makes every ADS stream write a response at once, so thousands of blocks are
/// in use for a moment, and Kestrel's pool then held them for minutes (at 10,000 idle streams, about 6,000 blocks:
/// 2.5 KB per stream). This pool keeps at most <see cref="MaxRetainedBlocks"/> idle blocks; beyond that a returned
/// block is left to the GC, and a burst allocates new ones.
/// </summary>
internal sealed class BoundedBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    /// <summary>Idle blocks kept for reuse (2 MiB): enough for steady traffic, not for a burst's peak.</summary>
    public const int MaxRetainedBlocks = 512;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
            return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return;
        }
        if (Interlocked.Increment(ref _idleCount) <= MaxRetainedBlocks)
        {
            _idle.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _idleCount);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _idle.Clear();
    }

    /// <summary>One 4 KiB block; disposing it hands it back to its pool (Kestrel disposes each block once).</summary>
    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly BoundedBlockMemoryPool _pool;

        public Block(BoundedBlockMemoryPool pool)
        {
            _pool = pool;
            // An ordinary array, not a pinned one as Kestrel's are: the pinned object heap is never compacted, so the
            // blocks a burst allocates and drops would leave it fragmented for good (measured: the heap grew by
            // more than the retained blocks saved). Linux sockets are readiness-based: a buffer is pinned only for
            // the read or write call itself (Memory.Pin, where an API needs it).
            Memory = GC.AllocateUninitializedArray<byte>(BlockSize);
        }

        public Memory<byte> Memory { get; }

        public void Dispose() => _pool.Return(this);
    }
}

/// <summary>Hands Kestrel (its transport and its HTTP/2 streams) <see cref="BoundedBlockMemoryPool"/>s.</summary>
internal sealed class BoundedBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new BoundedBlockMemoryPool();
}
