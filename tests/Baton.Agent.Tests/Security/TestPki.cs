using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Baton.Agent.Tests.Security;

/// <summary>
/// Certificates made for one test and written as PEM files: a self-signed server certificate
/// for 127.0.0.1/localhost, a client CA with a client certificate, a certificate from the same
/// CA that may only authenticate servers, and a second, unrelated CA with its own client.
/// </summary>
internal sealed class TestPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public required string ServerCertFile { get; init; }
    public required string ServerKeyFile { get; init; }
    public required string CaCertFile { get; init; }
    public required string ClientKeyFile { get; init; }
    public required X509Certificate2 ServerCertificate { get; init; }
    public required X509Certificate2 ClientCertificate { get; init; }
    public required X509Certificate2 ServerOnlyClientCertificate { get; init; }
    public required X509Certificate2 ForeignClientCertificate { get; init; }

    public static TestPki Create(TempDirectory dir)
    {
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=baton-agent-test", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], critical: false));
        var server = serverRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        var (ca, caKey) = CreateCa("CN=baton-test-client-ca");
        var (foreignCa, foreignCaKey) = CreateCa("CN=baton-test-foreign-ca");
        using (caKey)
        using (foreignCaKey)
        {
            var (client, clientKey) = CreateLeaf(ca, "CN=orchestrator", ClientAuth);
            var (serverOnly, serverOnlyKey) = CreateLeaf(ca, "CN=not-a-client", ServerAuth);
            var (foreign, foreignKey) = CreateLeaf(foreignCa, "CN=orchestrator", ClientAuth);
            serverOnlyKey.Dispose();
            foreignKey.Dispose();

            var pki = new TestPki
            {
                ServerCertFile = dir.Write("server.crt", server.ExportCertificatePem()),
                ServerKeyFile = dir.Write("server.key", serverKey.ExportPkcs8PrivateKeyPem()),
                CaCertFile = dir.Write("client-ca.crt", ca.ExportCertificatePem()),
                ClientKeyFile = dir.Write("client.key", clientKey.ExportPkcs8PrivateKeyPem()),
                ServerCertificate = server,
                ClientCertificate = client,
                ServerOnlyClientCertificate = serverOnly,
                ForeignClientCertificate = foreign,
            };
            clientKey.Dispose();
            return pki;
        }
    }

    private static (X509Certificate2 Certificate, ECDsa Key) CreateCa(string subject)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)), key);
    }

    private static (X509Certificate2 Certificate, ECDsa Key) CreateLeaf(X509Certificate2 issuer, string subject, Oid usage)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // Within the issuer's validity by construction: computing "now + 30 days" again here could land a second after the CA's own end.
        using var publicOnly = request.Create(issuer, issuer.NotBefore, issuer.NotAfter.AddMinutes(-1), serial);
        return (publicOnly.CopyWithPrivateKey(key), key);
    }

    /// <summary>A client-side check that trusts exactly <paramref name="root"/> (and still requires the host name to match).</summary>
    public static RemoteCertificateValidationCallback Trust(X509Certificate2 root) => (_, certificate, _, errors) =>
    {
        if (certificate is not X509Certificate2 presented) return false;
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    };
}
