using Baton.Agent.Probes;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Tests.Probes;

public sealed class ProbeCheckFactoryTests : IDisposable
{
    private readonly HttpClient _http = ProbeCheckFactory.CreateHttpClient();

    public void Dispose() => _http.Dispose();

    [Fact]
    public void PortZeroMeansTheInstancePort()
    {
        var factory = new ProbeCheckFactory(_http);
        Assert.Equal(8080, Assert.IsType<TcpProbeCheck>(factory.Create(new Probe { Tcp = new TcpProbe() }, 8080)).Port);
        Assert.Equal(new Uri("http://127.0.0.1:8080/"),
            Assert.IsType<HttpProbeCheck>(factory.Create(new Probe { Http = new HttpProbe() }, 8080)).Uri);
        using var grpc = Assert.IsType<GrpcProbeCheck>(factory.Create(new Probe { Grpc = new GrpcProbe() }, 8080));
        Assert.Equal(8080, grpc.Port);
        Assert.Equal("", grpc.Service);
    }

    [Fact]
    public void ExplicitPortWins()
    {
        var factory = new ProbeCheckFactory(_http);
        Assert.Equal(9090, Assert.IsType<TcpProbeCheck>(factory.Create(new Probe { Tcp = new TcpProbe { Port = 9090 } }, 8080)).Port);
        Assert.Equal(new Uri("http://127.0.0.1:9091/ready?x=1"),
            Assert.IsType<HttpProbeCheck>(factory.Create(
                new Probe { Http = new HttpProbe { Port = 9091, Path = "/ready?x=1" } }, 8080)).Uri);
        using var grpc = Assert.IsType<GrpcProbeCheck>(factory.Create(
            new Probe { Grpc = new GrpcProbe { Port = 9092, Service = "baton.Web" } }, 8080));
        Assert.Equal((9092, "baton.Web"), (grpc.Port, grpc.Service));
    }

    [Fact]
    public void PathThatLooksLikeAnotherHostStaysOnLoopback()
    {
        var check = Assert.IsType<HttpProbeCheck>(new ProbeCheckFactory(_http)
            .Create(new Probe { Http = new HttpProbe { Path = "//example.com/x" } }, 8080));
        Assert.Equal("127.0.0.1", check.Uri.Host);
        Assert.Equal(8080, check.Uri.Port);
        Assert.Equal("//example.com/x", check.Uri.AbsolutePath);
    }

    [Fact]
    public void ProbeWithoutKindOrInstanceWithoutPortIsAProgrammingError()
    {
        var factory = new ProbeCheckFactory(_http);
        Assert.Throws<ArgumentException>(() => factory.Create(new Probe(), 8080));
        Assert.Throws<ArgumentOutOfRangeException>(() => factory.Create(new Probe { Tcp = new TcpProbe() }, 0));
    }
}
