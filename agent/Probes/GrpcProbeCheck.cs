using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Baton.Agent.Probes;

/// <summary>
/// Healthy when grpc.health.v1 Check answers SERVING for the service (empty: the whole
/// server) over plain HTTP/2 to 127.0.0.1:port. The channel, and so its connection, is kept
/// between checks and closed on <see cref="Dispose"/>.
/// </summary>
internal sealed class GrpcProbeCheck : IProbeCheck, IDisposable
{
    // A HealthCheckResponse is a single enum; anything much larger is not a health answer.
    private const int MaxResponseBytes = 4 * 1024;

    private readonly GrpcChannel _channel;
    private readonly Health.HealthClient _client;

    public GrpcProbeCheck(int port, string service)
    {
        Port = port;
        Service = service;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                EnableMultipleHttp2Connections = false,
            },
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxResponseBytes,
            // The runner tells a timeout from a shutdown by its own tokens; an RpcException
            // (Cancelled) would hide which of the two it was.
            ThrowOperationCanceledOnCancellation = true,
        });
        _client = new Health.HealthClient(_channel);
    }

    public int Port { get; }
    public string Service { get; }

    public async Task<ProbeOutcome> CheckAsync(CancellationToken ct)
    {
        try
        {
            var reply = await _client
                .CheckAsync(new HealthCheckRequest { Service = Service }, cancellationToken: ct)
                .ConfigureAwait(false);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? ProbeOutcome.Pass("SERVING")
                : ProbeOutcome.Fail(StatusName(reply.Status));
        }
        catch (RpcException e)
        {
            return ProbeOutcome.Fail(ProbeFailure.Describe(e, Service));
        }
    }

    public void Dispose() => _channel.Dispose();

    public override string ToString() => $"grpc 127.0.0.1:{Port} service \"{Service}\"";

    private static string StatusName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        HealthCheckResponse.Types.ServingStatus.Unknown => "UNKNOWN",
        _ => $"status {(int)status}",
    };
}
