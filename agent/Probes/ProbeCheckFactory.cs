using System.Net;
using Baton.Protos.Agent.V1;

namespace Baton.Agent.Probes;

/// <summary>
/// Builds the check a probe describes, resolving port 0 to the instance's port. All HTTP
/// checks share the one <see cref="HttpClient"/> given here (see <see cref="CreateHttpClient"/>);
/// each gRPC check gets its own channel, owned by the check.
/// </summary>
internal sealed class ProbeCheckFactory(HttpClient httpClient)
{
    /// <summary>
    /// A client fit for probing: no proxy (HTTP_PROXY must not reroute loopback probes), no
    /// redirects, cookies or decompression, and no client-side timeout since the runner
    /// applies each probe's own.
    /// </summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The check for a validated <paramref name="probe"/> of an instance listening on <paramref name="instancePort"/>.</summary>
    public IProbeCheck Create(Probe probe, int instancePort)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentOutOfRangeException.ThrowIfLessThan(instancePort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(instancePort, (int)ProbeValidator.MaxPort);

        return probe.KindCase switch
        {
            Probe.KindOneofCase.Tcp => new TcpProbeCheck(Resolve(probe.Tcp.Port, instancePort)),
            Probe.KindOneofCase.Http => new HttpProbeCheck(
                httpClient, Resolve(probe.Http.Port, instancePort), ProbeDefaults.PathOf(probe.Http)),
            Probe.KindOneofCase.Grpc => new GrpcProbeCheck(Resolve(probe.Grpc.Port, instancePort), probe.Grpc.Service),
            _ => throw new ArgumentException("The probe sets none of tcp, http, grpc; validate it first.", nameof(probe)),
        };
    }

    private static int Resolve(uint port, int instancePort)
    {
        if (port > ProbeValidator.MaxPort)
            throw new ArgumentOutOfRangeException(nameof(port), port, "Probe port out of range; validate the probe first.");
        return port == 0 ? instancePort : (int)port;
    }
}
