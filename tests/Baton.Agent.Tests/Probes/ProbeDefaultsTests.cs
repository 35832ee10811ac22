using Baton.Agent.Probes;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Probes;

public class ProbeDefaultsTests
{
    [Fact]
    public void ZeroFieldsTakeTheDefaults() =>
        Assert.Equal(
            new ProbeSettings(TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 3),
            ProbeDefaults.Normalize(new Probe { Tcp = new TcpProbe() }));

    [Fact]
    public void SetFieldsAreKept() =>
        Assert.Equal(
            new ProbeSettings(TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(100), 2, 5),
            ProbeDefaults.Normalize(new Probe
            {
                Tcp = new TcpProbe(),
                InitialDelayMs = 1500,
                IntervalMs = 250,
                TimeoutMs = 100,
                SuccessThreshold = 2,
                FailureThreshold = 5,
            }));

    [Fact]
    public void EmptyHttpPathIsRoot()
    {
        Assert.Equal("/", ProbeDefaults.PathOf(new HttpProbe()));
        Assert.Equal("/healthz", ProbeDefaults.PathOf(new HttpProbe { Path = "/healthz" }));
    }
}
