using System.Globalization;
using Baton.Agent.Security;

namespace Baton.Agent.Configuration;

/// <summary>The outcome of <see cref="AgentOptionsValidator.Validate"/>: errors refuse the start, warnings do not.</summary>
public sealed record AgentValidationResult(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Checks options before anything binds or spawns, so a mistake is a precise one-line message
/// at startup rather than a half-started agent. Above all it enforces the house rule: nothing
/// listens beyond loopback without authentication (a bearer token or client certificates).
/// </summary>
public static class AgentOptionsValidator
{
    public const int MinInstancePort = 1024;
    public const int MaxInstancePort = 65535;

    public static AgentValidationResult Validate(AgentOptions options)
    {
        var errors = new List<string>();
        var warnings = new List<string>();

        var listen = CheckAddress("listen", options.Listen, errors);
        var metrics = options.MetricsListen is null ? null : CheckAddress("metrics_listen", options.MetricsListen, errors);
        if (listen is not null && metrics is not null && listen.Overlaps(metrics))
            errors.Add($"metrics_listen {metrics} uses the same port as listen {listen}; give /metrics its own port (--metrics-listen) or turn it off with 'off'");

        CheckPortRange(options, listen, metrics, errors);
        CheckLimits(options, errors);

        if (string.IsNullOrWhiteSpace(options.DataDir))
            errors.Add("data_dir is empty; set it (--data-dir, BATON_AGENT_DATA_DIR) to a folder the agent may write");

        CheckProxy(options, errors);

        var hasToken = CheckTokenFile(options, errors);
        var (hasTls, hasClientCa) = CheckTls(options, errors, warnings);

        foreach (var (setting, flag, address) in new[] { ("listen", "--listen", listen), ("metrics_listen", "--metrics-listen", metrics) })
        {
            if (address is null || address.IsLoopback) continue;
            if (!hasToken && !hasClientCa && options.TokenFile is null && options.ClientCaFile is null)
            {
                errors.Add(
                    $"{setting} {address} is reachable beyond this host but no authentication is configured; refusing to start. " +
                    "Either set token_file (--token-file / BATON_AGENT_TOKEN_FILE) to a file holding a bearer token, " +
                    "or set tls.certificate, tls.key and tls.client_ca (--tls-cert, --tls-key, --tls-client-ca) to require client certificates, " +
                    $"or listen on loopback only ({flag} 127.0.0.1:PORT)");
            }
            else if (hasToken && !hasTls)
            {
                warnings.Add($"{setting} {address} is reachable beyond this host without TLS: the bearer token crosses the network in cleartext; set tls.certificate and tls.key");
            }
        }

        return new AgentValidationResult(errors, warnings);
    }

    /// <exception cref="AgentConfigurationException">With every error, joined into one line.</exception>
    public static void ThrowIfInvalid(AgentOptions options)
    {
        var result = Validate(options);
        if (!result.IsValid) throw new AgentConfigurationException(string.Join("; ", result.Errors));
    }

    private static void CheckProxy(AgentOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.ProxyXds))
        {
            if (options.ProxyNode is not null || options.ProxyApps is not null || options.ProxyListenAddress is not null)
                errors.Add("proxy settings are given but proxy.xds is not; set it (--proxy http://HOST:PORT, BATON_AGENT_PROXY) to run the built-in proxy");
            return;
        }
        try
        {
            options.BuildProxyOptions();
        }
        catch (ArgumentException e)
        {
            errors.Add($"proxy: {e.Message}");
        }
    }

    private static ListenAddress? CheckAddress(string setting, string value, List<string> errors)
    {
        if (ListenAddress.TryParse(value, out var address, out var error)) return address;
        errors.Add($"{setting}: {error}");
        return null;
    }

    private static void CheckPortRange(AgentOptions o, ListenAddress? listen, ListenAddress? metrics, List<string> errors)
    {
        var range = $"{o.PortRangeStart.ToString(CultureInfo.InvariantCulture)}-{o.PortRangeEnd.ToString(CultureInfo.InvariantCulture)}";
        var ok = true;
        if (o.PortRangeStart is < MinInstancePort or > MaxInstancePort || o.PortRangeEnd is < MinInstancePort or > MaxInstancePort)
        {
            errors.Add($"port_range {range}: both ends must be between {MinInstancePort} and {MaxInstancePort} (ports below {MinInstancePort} are privileged)");
            ok = false;
        }
        if (o.PortRangeStart > o.PortRangeEnd)
        {
            errors.Add($"port_range {range}: the start must not be greater than the end");
            ok = false;
        }
        if (!ok) return;

        foreach (var (setting, address) in new[] { ("listen", listen), ("metrics_listen", metrics) })
        {
            if (address is not null && address.Port >= o.PortRangeStart && address.Port <= o.PortRangeEnd)
                errors.Add($"{setting} port {address.Port.ToString(CultureInfo.InvariantCulture)} lies inside port_range {range}, from which instances get their ports; move one of them");
        }
    }

    private static void CheckLimits(AgentOptions o, List<string> errors)
    {
        if (o.KeepReleases < 1)
            errors.Add($"keep_releases must be at least 1, got {o.KeepReleases.ToString(CultureInfo.InvariantCulture)}");
        if (o.LogMaxBytes < 1024)
            errors.Add($"log_max_bytes must be at least 1024, got {o.LogMaxBytes.ToString(CultureInfo.InvariantCulture)}");
        if (o.LogRetainedFiles < 0)
            errors.Add($"log_retained_files must not be negative, got {o.LogRetainedFiles.ToString(CultureInfo.InvariantCulture)}");
        if (o.MaxChunkBytes < 1)
            errors.Add($"max_chunk_bytes must be positive, got {o.MaxChunkBytes.ToString(CultureInfo.InvariantCulture)}");
        if (o.MaxArtifactBytes < 1)
            errors.Add($"max_artifact_bytes must be positive, got {o.MaxArtifactBytes.ToString(CultureInfo.InvariantCulture)}");
    }

    private static bool CheckTokenFile(AgentOptions o, List<string> errors)
    {
        if (o.TokenFile is null) return false;
        if (!File.Exists(o.TokenFile))
        {
            errors.Add($"token_file {o.TokenFile} does not exist");
            return false;
        }
        try
        {
            BearerToken.ReadFile(o.TokenFile);
            return true;
        }
        catch (AgentConfigurationException e)
        {
            errors.Add(e.Message);
            return false;
        }
    }

    private static (bool HasTls, bool HasClientCa) CheckTls(AgentOptions o, List<string> errors, List<string> warnings)
    {
        var cert = o.CertificateFile;
        var key = o.CertificateKeyFile;
        var ca = o.ClientCaFile;

        if (key is not null && cert is null)
            errors.Add("tls.key is set but tls.certificate is not; set both (--tls-cert and --tls-key) to serve TLS");
        if (cert is not null && key is null)
            errors.Add("tls.certificate is set but tls.key is not; set both (--tls-cert and --tls-key) to serve TLS");
        if (ca is not null && cert is null)
            errors.Add("tls.client_ca requires TLS, since client certificates are only exchanged in a TLS handshake; set tls.certificate and tls.key (--tls-cert, --tls-key) too");

        var filesPresent = true;
        foreach (var (setting, path) in new[] { ("tls.certificate", cert), ("tls.key", key), ("tls.client_ca", ca) })
        {
            if (path is not null && !File.Exists(path))
            {
                errors.Add($"{setting} {path} does not exist");
                filesPresent = false;
            }
        }
        if (!filesPresent) return (false, false);

        var hasTls = false;
        if (cert is not null && key is not null)
        {
            try
            {
                using var certificate = AgentTlsMaterial.LoadServerCertificate(cert, key);
                hasTls = true;
                if (certificate.NotAfter < DateTime.Now)
                    warnings.Add($"tls.certificate {cert} expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z; clients will refuse it");
            }
            catch (AgentConfigurationException e)
            {
                errors.Add(e.Message);
            }
        }

        var hasClientCa = false;
        if (ca is not null && cert is not null)
        {
            try
            {
                var roots = AgentTlsMaterial.LoadClientCa(ca);
                hasClientCa = true;
                foreach (var root in roots) root.Dispose();
            }
            catch (AgentConfigurationException e)
            {
                errors.Add(e.Message);
            }
        }
        return (hasTls, hasClientCa && hasTls);
    }
}
