using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Baton.Agent.Configuration;

namespace Baton.Agent.Security;

/// <summary>Loads the PEM files named in the options, turning every failure into a configuration error naming the file.</summary>
public static class AgentTlsMaterial
{
    /// <exception cref="AgentConfigurationException">Unreadable, malformed, or the key does not belong to the certificate.</exception>
    public static X509Certificate2 LoadServerCertificate(string certificateFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new AgentConfigurationException(
                $"tls.certificate {certificateFile} with tls.key {keyFile} cannot be loaded: {e.Message.ReplaceLineEndings(" ")} (both must be PEM, and the key must belong to the certificate)", e);
        }
    }

    /// <summary>Every certificate in the PEM bundle; the caller owns (and disposes) them.</summary>
    /// <exception cref="AgentConfigurationException">Unreadable, malformed or empty.</exception>
    public static X509Certificate2Collection LoadClientCa(string caFile)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            foreach (var c in collection) c.Dispose();
            throw new AgentConfigurationException($"tls.client_ca {caFile} cannot be loaded: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        if (collection.Count == 0)
            throw new AgentConfigurationException($"tls.client_ca {caFile} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)");
        return collection;
    }
}
