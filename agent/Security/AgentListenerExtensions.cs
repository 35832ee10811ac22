using System.Security.Cryptography.X509Certificates;
using Baton.Agent.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Agent.Security;

/// <summary>
/// Binds the agent's endpoints: the gRPC endpoint at <see cref="AgentOptions.Listen"/> and, unless
/// turned off, the /metrics endpoint at <see cref="AgentOptions.MetricsListen"/>.
/// </summary>
/// <remarks>
/// Without TLS the gRPC endpoint speaks HTTP/2 only: gRPC clients use h2c with prior knowledge,
/// and Kestrel (checked on .NET 10) does not accept that on an Http1AndHttp2 cleartext endpoint:
/// it logs "HTTP/2 is not enabled ... HTTP/2 requires TLS application protocol negotiation" and
/// refuses the HTTP/2 preface with HTTP_1_1_REQUIRED. Prometheus scrapes with HTTP/1.1, hence
/// the separate metrics endpoint. With TLS, ALPN lets both protocols share an endpoint, so both
/// endpoints then accept HTTP/1.1 and HTTP/2. Both endpoints use the same TLS and client
/// certificate settings, and the authentication middleware guards both the same way.
/// </remarks>
public static class AgentListenerExtensions
{
    /// <exception cref="AgentConfigurationException">The options name an invalid address or unusable TLS files.</exception>
    public static KestrelServerOptions ConfigureAgentListener(this KestrelServerOptions kestrel, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);

        var listen = ListenAddress.Parse(options.Listen, "listen");
        var metrics = options.MetricsListen is null ? null : ListenAddress.Parse(options.MetricsListen, "metrics_listen");
        var logger = (ILogger?)kestrel.ApplicationServices?.GetService<ILoggerFactory>()?.CreateLogger("Baton.Agent.Security")
            ?? NullLogger.Instance;

        X509Certificate2? certificate = null;
        X509Certificate2Collection? chain = null;
        ClientCertificateValidator? clientValidator = null;
        if (options.CertificateFile is not null)
        {
            if (options.CertificateKeyFile is null)
                throw new AgentConfigurationException("tls.certificate is set but tls.key is not; set both (--tls-cert and --tls-key) to serve TLS");
            certificate = AgentTlsMaterial.LoadServerCertificate(options.CertificateFile, options.CertificateKeyFile);
            chain = LoadIntermediates(options.CertificateFile);
            if (options.ClientCaFile is not null)
                clientValidator = new ClientCertificateValidator(AgentTlsMaterial.LoadClientCa(options.ClientCaFile), logger);
        }
        else if (options.ClientCaFile is not null || options.CertificateKeyFile is not null)
        {
            // Serving cleartext while the operator asked for client certificates would drop the authentication silently.
            throw new AgentConfigurationException("tls.client_ca and tls.key require tls.certificate; set tls.certificate and tls.key (--tls-cert, --tls-key)");
        }

        // Repeats the validator's rule so that a host which forgot to validate still cannot open up.
        foreach (var (setting, address) in new[] { ("listen", listen), ("metrics_listen", metrics) })
        {
            if (address is { IsLoopback: false } && options.TokenFile is null && clientValidator is null)
                throw new AgentConfigurationException($"{setting} {address} is reachable beyond this host but no authentication is configured; set token_file or tls.client_ca, or listen on 127.0.0.1");
        }

        var tlsProtocols = HttpProtocols.Http1AndHttp2;
        Bind(kestrel, listen, certificate is null ? HttpProtocols.Http2 : tlsProtocols, certificate, chain, clientValidator);
        if (metrics is not null)
            Bind(kestrel, metrics, certificate is null ? HttpProtocols.Http1 : tlsProtocols, certificate, chain, clientValidator);
        return kestrel;
    }

    private static void Bind(
        KestrelServerOptions kestrel,
        ListenAddress address,
        HttpProtocols protocols,
        X509Certificate2? certificate,
        X509Certificate2Collection? chain,
        ClientCertificateValidator? clientValidator)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (certificate is null) return;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ServerCertificateChain = chain,
                ClientCertificateMode = clientValidator is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = clientValidator is null ? null : clientValidator.Validate,
                // The validator decides without revocation data; letting SslStream try online
                // revocation checks first would only stall handshakes on hosts without internet.
                CheckCertificateRevocation = false,
            });
        }

        if (address.IsLocalhost) kestrel.ListenLocalhost(address.Port, Configure);
        else if (address.Address is null) kestrel.ListenAnyIP(address.Port, Configure);
        else kestrel.Listen(address.Address, address.Port, Configure);
    }

    /// <summary>Certificates after the first in the certificate file: sent along so clients can build the chain.</summary>
    private static X509Certificate2Collection? LoadIntermediates(string certificateFile)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPemFile(certificateFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            foreach (var c in all) c.Dispose();
            throw new AgentConfigurationException($"tls.certificate {certificateFile}: its certificate chain cannot be read: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        if (all.Count <= 1)
        {
            foreach (var c in all) c.Dispose();
            return null;
        }
        all[0].Dispose();
        all.RemoveAt(0);
        return all;
    }
}
