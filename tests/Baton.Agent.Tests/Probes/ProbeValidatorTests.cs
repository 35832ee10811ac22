using Baton.Agent.Probes;
using Baton.Protos.Agent.V1;
using Grpc.Core;

namespace Baton.Agent.Tests.Probes;

public class ProbeValidatorTests
{
    private static string Rejects(Probe probe, string field = "readiness")
    {
        var e = Assert.Throws<RpcException>(() => ProbeValidator.Validate(probe, field));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        return e.Status.Detail;
    }

    [Fact]
    public void NoProbeIsValid() => ProbeValidator.Validate(null, "readiness");

    [Fact]
    public void AllZeroProbeOfEachKindIsValid()
    {
        ProbeValidator.Validate(new Probe { Tcp = new TcpProbe() }, "readiness");
        ProbeValidator.Validate(new Probe { Http = new HttpProbe() }, "readiness");
        ProbeValidator.Validate(new Probe { Grpc = new GrpcProbe() }, "readiness");
    }

    [Fact]
    public void FullySetProbeAtTheLimitsIsValid() => ProbeValidator.Validate(new Probe
    {
        Http = new HttpProbe { Port = 65535, Path = "/health/ready?verbose=1&x=%20" },
        InitialDelayMs = ProbeValidator.MaxDurationMs,
        IntervalMs = ProbeValidator.MinIntervalMs,
        // Longer than the interval on purpose: allowed, checks never overlap.
        TimeoutMs = 5000,
        SuccessThreshold = ProbeValidator.MaxThreshold,
        FailureThreshold = ProbeValidator.MaxThreshold,
    }, "readiness");

    [Fact]
    public void KindIsRequired() =>
        Assert.Equal("liveness: set one of tcp, http, grpc", Rejects(new Probe { IntervalMs = 1000 }, "liveness"));

    [Theory]
    [InlineData("tcp")]
    [InlineData("http")]
    [InlineData("grpc")]
    public void PortAbove65535IsRejected(string kind)
    {
        var probe = kind switch
        {
            "tcp" => new Probe { Tcp = new TcpProbe { Port = 65536 } },
            "http" => new Probe { Http = new HttpProbe { Port = 65536 } },
            _ => new Probe { Grpc = new GrpcProbe { Port = 65536 } },
        };
        Assert.Equal($"readiness.{kind}.port 65536 is out of range: use 1-65535, or 0 for the instance's port", Rejects(probe));
    }

    [Fact]
    public void HttpPathMustStartWithSlash() =>
        Assert.Equal("readiness.http.path must start with '/'", Rejects(new Probe { Http = new HttpProbe { Path = "healthz" } }));

    [Theory]
    [InlineData("/health z")]
    [InlineData("/health\n")]
    [InlineData("/héalth")]
    public void HttpPathMustBePrintableAscii(string path) =>
        Assert.StartsWith("instances[2].liveness.http.path may only hold printable ASCII",
            Rejects(new Probe { Http = new HttpProbe { Path = path } }, "instances[2].liveness"));

    [Fact]
    public void HttpPathMustNotHaveAFragment() =>
        Assert.StartsWith("readiness.http.path must not contain '#'", Rejects(new Probe { Http = new HttpProbe { Path = "/health#x" } }));

    [Fact]
    public void HttpPathLengthIsBounded() =>
        Assert.Equal($"readiness.http.path is 2049 characters long; at most 2048 are allowed",
            Rejects(new Probe { Http = new HttpProbe { Path = "/" + new string('a', 2048) } }));

    [Fact]
    public void GrpcServiceIsBounded()
    {
        Assert.Equal("readiness.grpc.service must not contain control characters",
            Rejects(new Probe { Grpc = new GrpcProbe { Service = "a\u0001b" } }));
        Assert.Equal("readiness.grpc.service is 1025 characters long; at most 1024 are allowed",
            Rejects(new Probe { Grpc = new GrpcProbe { Service = new string('s', 1025) } }));
    }

    [Fact]
    public void IntervalBelow50MsIsRejected() =>
        Assert.Equal("readiness.interval_ms 49 is below the minimum of 50 ms (0 takes the default)",
            Rejects(new Probe { Tcp = new TcpProbe(), IntervalMs = 49 }));

    [Fact]
    public void TimeoutBelow10MsIsRejected() =>
        Assert.Equal("readiness.timeout_ms 9 is below the minimum of 10 ms (0 takes the default)",
            Rejects(new Probe { Tcp = new TcpProbe(), TimeoutMs = 9 }));

    [Theory]
    [InlineData("initial_delay_ms")]
    [InlineData("interval_ms")]
    [InlineData("timeout_ms")]
    public void DurationsAboveAnHourAreRejected(string field)
    {
        var probe = new Probe { Tcp = new TcpProbe() };
        const uint tooLong = ProbeValidator.MaxDurationMs + 1;
        switch (field)
        {
            case "initial_delay_ms": probe.InitialDelayMs = tooLong; break;
            case "interval_ms": probe.IntervalMs = tooLong; break;
            default: probe.TimeoutMs = tooLong; break;
        }
        Assert.Equal($"readiness.{field} 3600001 is above the maximum of 3600000 ms (one hour)", Rejects(probe));
    }

    [Fact]
    public void AbsurdThresholdsAreRejected()
    {
        Assert.Equal("readiness.success_threshold 101 is above the maximum of 100 (0 takes the default)",
            Rejects(new Probe { Tcp = new TcpProbe(), SuccessThreshold = 101 }));
        Assert.Equal("readiness.failure_threshold 4000000000 is above the maximum of 100 (0 takes the default)",
            Rejects(new Probe { Tcp = new TcpProbe(), FailureThreshold = 4_000_000_000 }));
    }
}
