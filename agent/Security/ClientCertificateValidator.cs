using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Security;

/// <summary>
/// Accepts a client certificate only when it chains to one of the configured CA certificates,
/// ignoring the machine's trust store entirely: a certificate from a public CA, however valid,
/// must not open the agent. The certificate must also allow client authentication (or carry
/// no extended key usage at all, which X.509 reads as "any use").
/// </summary>
/// <remarks>Revocation is not checked: the agent has no CRL or OCSP source to reach; rotate the CA to revoke.</remarks>
public sealed partial class ClientCertificateValidator
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private readonly X509Certificate2Collection _anchors = [];
    private readonly X509Certificate2Collection _intermediates = [];
    private readonly ILogger _logger;

    /// <param name="caCertificates">
    /// The client_ca bundle. Self-signed certificates become trust anchors; any others are used
    /// only as intermediates, so a bundle holding just an intermediate trusts nothing.
    /// </param>
    public ClientCertificateValidator(X509Certificate2Collection caCertificates, ILogger logger)
    {
        foreach (var certificate in caCertificates)
        {
            (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) ? _anchors : _intermediates).Add(certificate);
        }
        _logger = logger;
    }

    /// <summary>Signature of Kestrel's HttpsConnectionAdapterOptions.ClientCertificateValidation.</summary>
    public bool Validate(X509Certificate2 certificate, X509Chain? presentedChain, SslPolicyErrors systemVerdict)
    {
        // systemVerdict reflects the machine's trust store, which is exactly what must not count here.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        chain.ChainPolicy.ExtraStore.AddRange(_intermediates);
        if (presentedChain is not null) chain.ChainPolicy.ExtraStore.AddRange(presentedChain.ChainPolicy.ExtraStore);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        chain.ChainPolicy.DisableCertificateDownloads = true;

        var valid = chain.Build(certificate);
        if (!valid)
        {
            var reasons = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            LogRefused(_logger, certificate.Subject, certificate.Issuer, reasons);
        }
        foreach (var element in chain.ChainElements)
        {
            // Elements are copies the chain made; never dispose what Kestrel or this instance owns.
            if (!IsOwnedElsewhere(element.Certificate, certificate)) element.Certificate.Dispose();
        }
        return valid;
    }

    private bool IsOwnedElsewhere(X509Certificate2 candidate, X509Certificate2 leaf)
    {
        if (ReferenceEquals(candidate, leaf)) return true;
        foreach (var c in _anchors) if (ReferenceEquals(candidate, c)) return true;
        foreach (var c in _intermediates) if (ReferenceEquals(candidate, c)) return true;
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused client certificate {Subject} issued by {Issuer}: {Reasons}")]
    private static partial void LogRefused(ILogger logger, string subject, string issuer, string reasons);
}
