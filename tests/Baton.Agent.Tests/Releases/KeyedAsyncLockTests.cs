using Baton.Agent.Releases;

namespace Baton.Agent.Tests.Releases;

public class KeyedAsyncLockTests
{
    [Fact]
    public async Task SameKeyWaitsOtherKeyDoesNot()
    {
        var locks = new KeyedAsyncLock<string>();
        var held = await locks.AcquireAsync("a", CancellationToken.None);

        var sameKey = locks.AcquireAsync("a", CancellationToken.None);
        var otherKey = locks.AcquireAsync("b", CancellationToken.None);

        Assert.True(otherKey.IsCompletedSuccessfully);
        Assert.False(sameKey.IsCompleted);
        held.Dispose();
        (await sameKey).Dispose();
        (await otherKey).Dispose();
    }

    [Fact]
    public async Task ACancelledWaiterDoesNotKeepTheKeyLocked()
    {
        var locks = new KeyedAsyncLock<string>();
        var held = await locks.AcquireAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiter = locks.AcquireAsync("a", cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        held.Dispose();

        var again = locks.AcquireAsync("a", CancellationToken.None);
        Assert.True(again.IsCompletedSuccessfully);
        (await again).Dispose();
    }
}
