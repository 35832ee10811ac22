using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Baton.Orchestrator.Fleet;

/// <summary>Builds the channel to one agent with the orchestrator's credentials: bearer token, TLS, client certificate.</summary>
internal static class AgentChannelFactory
{
    public static GrpcChannel CreateChannel(AgentAddress address, FleetOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // Many followed log streams may outgrow one connection's concurrent-stream limit.
            EnableMultipleHttp2Connections = true,
            // Pings notice a peer that vanished without a FIN or RST, which would otherwise leave the event stream hanging.
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = options.HealthCheckTimeout,
        };
        if (options.UseTls)
        {
            if (options.ClientCertificate is not null)
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { options.ClientCertificate };
            if (options.AgentCertificateAuthority is { } authority)
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsSignedBy(certificate, errors, authority);
        }
        return GrpcChannel.ForAddress(address.ToUri(options.UseTls), new GrpcChannelOptions
        {
            HttpHandler = handler,
            // Artifacts are sent in chunks of at most 1 MiB; logs and lists come back in small messages.
            MaxSendMessageSize = 2 * 1024 * 1024,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
    }

    /// <summary>Every call through the returned invoker carries the bearer token, when one is configured.</summary>
    public static CallInvoker CreateInvoker(GrpcChannel channel, FleetOptions options)
    {
        var invoker = channel.CreateCallInvoker();
        if (string.IsNullOrEmpty(options.BearerToken)) return invoker;
        var header = "Bearer " + options.BearerToken;
        return invoker.Intercept(metadata =>
        {
            metadata.Add("authorization", header);
            return metadata;
        });
    }

    /// <summary>Host name checks still apply; only the chain is built against the configured CA instead of the system store.</summary>
    private static bool IsSignedBy(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 authority)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
