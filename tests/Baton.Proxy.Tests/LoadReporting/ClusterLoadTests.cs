using Baton.Proxy.LoadReporting;

namespace Baton.Proxy.Tests;

public sealed class ClusterLoadTests
{
    [Fact]
    public void Counts_issued_outcomes_and_the_in_progress_gauge()
    {
        var stats = new LoadStats();
        var load = stats.For("web/v1");
        load.Started();
        load.Started();
        load.Started();
        load.Completed(error: false);
        load.Completed(error: true);

        Assert.Same(load, stats.For("web/v1"));
        Assert.Equal(new ClusterLoadTotals(Issued: 3, Succeeded: 1, Errored: 1, InProgress: 1), load.Read());
    }
}
