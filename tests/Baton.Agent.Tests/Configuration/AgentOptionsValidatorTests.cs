using Baton.Agent.Configuration;
using Baton.Agent.Tests.Security;

namespace Baton.Agent.Tests.Configuration;

public sealed class AgentOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string SingleError(AgentOptions o)
    {
        var result = AgentOptionsValidator.Validate(o);
        return Assert.Single(result.Errors);
    }

    [Fact]
    public void DefaultsAreValid()
    {
        var result = AgentOptionsValidator.Validate(new AgentOptions());
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData("127.0.0.1:7070")]
    [InlineData("127.8.9.10:7070")]
    [InlineData("[::1]:7070")]
    [InlineData("localhost:7070")]
    [InlineData("LOCALHOST:7070")]
    [InlineData("127.0.0.1:0")]
    public void LoopbackNeedsNoAuthentication(string listen) =>
        Assert.Empty(AgentOptionsValidator.Validate(new AgentOptions { Listen = listen }).Errors);

    [Theory]
    [InlineData("0.0.0.0:7070")]
    [InlineData("*:7070")]
    [InlineData("[::]:7070")]
    [InlineData("10.1.2.3:7070")]
    [InlineData("[fe80::1]:7070")]
    public void NonLoopbackWithoutAuthenticationIsRefusedWithTheFix(string listen)
    {
        var error = SingleError(new AgentOptions { Listen = listen });
        Assert.StartsWith("listen ", error);
        Assert.Contains("is reachable beyond this host but no authentication is configured; refusing to start", error);
        Assert.Contains("set token_file (--token-file / BATON_AGENT_TOKEN_FILE)", error);
        Assert.Contains("tls.client_ca", error);
        Assert.Contains("--listen 127.0.0.1:PORT", error);
    }

    [Fact]
    public void NonLoopbackMetricsWithoutAuthenticationIsRefused()
    {
        var error = SingleError(new AgentOptions { MetricsListen = "0.0.0.0:9100" });
        Assert.StartsWith("metrics_listen 0.0.0.0:9100 is reachable beyond this host but no authentication is configured", error);
        Assert.Contains("--metrics-listen 127.0.0.1:PORT", error);
    }

    [Fact]
    public void NonLoopbackWithTokenIsAcceptedWithACleartextWarning()
    {
        var token = _dir.Write("token", "s3cret\n");
        var result = AgentOptionsValidator.Validate(new AgentOptions { Listen = "0.0.0.0:7070", TokenFile = token });
        Assert.Empty(result.Errors);
        Assert.Contains(result.Warnings, w => w.Contains("bearer token crosses the network in cleartext", StringComparison.Ordinal));
    }

    [Fact]
    public void NonLoopbackWithTokenAndTlsHasNoWarning()
    {
        var pki = TestPki.Create(_dir);
        var token = _dir.Write("token", "s3cret");
        var result = AgentOptionsValidator.Validate(new AgentOptions
        {
            Listen = "0.0.0.0:7070", TokenFile = token, CertificateFile = pki.ServerCertFile, CertificateKeyFile = pki.ServerKeyFile,
        });
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void NonLoopbackWithMutualTlsIsAccepted()
    {
        var pki = TestPki.Create(_dir);
        var result = AgentOptionsValidator.Validate(new AgentOptions
        {
            Listen = "0.0.0.0:7070", CertificateFile = pki.ServerCertFile, CertificateKeyFile = pki.ServerKeyFile, ClientCaFile = pki.CaCertFile,
        });
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("", "listen: is empty; expected HOST:PORT")]
    [InlineData("127.0.0.1", "listen: '127.0.0.1' is not a valid address; expected HOST:PORT")]
    [InlineData("127.0.0.1:http", "listen: '127.0.0.1:http' has an invalid port 'http'; the port must be a number from 0 to 65535")]
    [InlineData("127.0.0.1:70000", "listen: '127.0.0.1:70000' has an invalid port '70000'")]
    [InlineData("agent.example.com:7070", "listen: 'agent.example.com:7070' is not a valid address: 'agent.example.com' is not an IP address (host names other than localhost are not accepted)")]
    [InlineData("127.1:7070", "listen: '127.1:7070' is not a valid address: '127.1' is not an IP address")]
    [InlineData("::1:7070", "listen: '::1:7070' is not a valid address; expected HOST:PORT")]
    [InlineData("[::1]7070", "listen: '[::1]7070' is not a valid address")]
    [InlineData("[127.0.0.1]:7070", "listen: '[127.0.0.1]:7070' is not a valid address: '127.0.0.1' is not an IP address")]
    [InlineData("localhost:0", "listen: 'localhost:0' cannot use port 0 with localhost")]
    public void BadListenAddresses(string listen, string expected) =>
        Assert.StartsWith(expected, SingleError(new AgentOptions { Listen = listen }));

    [Fact]
    public void MetricsOnTheListenPortIsRefused() =>
        Assert.StartsWith("metrics_listen 127.0.0.1:7070 uses the same port as listen 127.0.0.1:7070",
            SingleError(new AgentOptions { MetricsListen = "127.0.0.1:7070" }));

    [Fact]
    public void MetricsOnAnotherLoopbackAddressWithTheSamePortIsAllowed() =>
        Assert.Empty(AgentOptionsValidator.Validate(new AgentOptions { MetricsListen = "127.0.0.2:7070" }).Errors);

    [Theory]
    [InlineData(30000, 20000, "port_range 30000-20000: the start must not be greater than the end")]
    [InlineData(80, 2000, "port_range 80-2000: both ends must be between 1024 and 65535")]
    [InlineData(60000, 70000, "port_range 60000-70000: both ends must be between 1024 and 65535")]
    [InlineData(7000, 7100, "listen port 7070 lies inside port_range 7000-7100, from which instances get their ports")]
    public void BadPortRanges(int start, int end, string expected)
    {
        var errors = AgentOptionsValidator.Validate(new AgentOptions { PortRangeStart = start, PortRangeEnd = end }).Errors;
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void SinglePortRangeIsValid() =>
        Assert.Empty(AgentOptionsValidator.Validate(new AgentOptions { PortRangeStart = 20000, PortRangeEnd = 20000 }).Errors);

    [Fact]
    public void LimitsMustBePositive()
    {
        var errors = AgentOptionsValidator.Validate(new AgentOptions
        {
            KeepReleases = 0, LogMaxBytes = 10, LogRetainedFiles = -1, MaxChunkBytes = 0, MaxArtifactBytes = -5,
        }).Errors;
        Assert.Equal(
            [
                "keep_releases must be at least 1, got 0",
                "log_max_bytes must be at least 1024, got 10",
                "log_retained_files must not be negative, got -1",
                "max_chunk_bytes must be positive, got 0",
                "max_artifact_bytes must be positive, got -5",
            ],
            errors);
    }

    [Fact]
    public void MissingTokenFile()
    {
        var missing = _dir.PathOf("token");
        Assert.Equal($"token_file {missing} does not exist", SingleError(new AgentOptions { TokenFile = missing }));
    }

    [Fact]
    public void EmptyTokenFile()
    {
        var token = _dir.Write("token", " \n\n");
        Assert.StartsWith($"token_file {token} is empty", SingleError(new AgentOptions { TokenFile = token }));
    }

    [Fact]
    public void TokenFileWithSeveralWords()
    {
        var token = _dir.Write("token", "one two\n");
        Assert.StartsWith($"token_file {token} holds more than one word", SingleError(new AgentOptions { TokenFile = token }));
    }

    [Fact]
    public void BrokenTokenFileStillRefusesNonLoopbackWithoutASecondMessage()
    {
        var missing = _dir.PathOf("token");
        var errors = AgentOptionsValidator.Validate(new AgentOptions { Listen = "0.0.0.0:7070", TokenFile = missing }).Errors;
        Assert.Equal([$"token_file {missing} does not exist"], errors);
    }

    [Fact]
    public void KeyWithoutCertificate()
    {
        var pki = TestPki.Create(_dir);
        Assert.Equal("tls.key is set but tls.certificate is not; set both (--tls-cert and --tls-key) to serve TLS",
            SingleError(new AgentOptions { CertificateKeyFile = pki.ServerKeyFile }));
    }

    [Fact]
    public void CertificateWithoutKey()
    {
        var pki = TestPki.Create(_dir);
        Assert.StartsWith("tls.certificate is set but tls.key is not",
            SingleError(new AgentOptions { CertificateFile = pki.ServerCertFile }));
    }

    [Fact]
    public void ClientCaWithoutCertificate()
    {
        var pki = TestPki.Create(_dir);
        Assert.StartsWith("tls.client_ca requires TLS, since client certificates are only exchanged in a TLS handshake",
            SingleError(new AgentOptions { ClientCaFile = pki.CaCertFile }));
    }

    [Fact]
    public void MissingTlsFiles()
    {
        var errors = AgentOptionsValidator.Validate(new AgentOptions
        {
            CertificateFile = _dir.PathOf("a.crt"), CertificateKeyFile = _dir.PathOf("a.key"), ClientCaFile = _dir.PathOf("ca.crt"),
        }).Errors;
        Assert.Equal(
            [
                $"tls.certificate {_dir.PathOf("a.crt")} does not exist",
                $"tls.key {_dir.PathOf("a.key")} does not exist",
                $"tls.client_ca {_dir.PathOf("ca.crt")} does not exist",
            ],
            errors);
    }

    [Fact]
    public void KeyOfAnotherCertificateIsRefused()
    {
        var pki = TestPki.Create(_dir);
        var error = SingleError(new AgentOptions { CertificateFile = pki.ServerCertFile, CertificateKeyFile = pki.ClientKeyFile });
        Assert.StartsWith($"tls.certificate {pki.ServerCertFile} with tls.key {pki.ClientKeyFile} cannot be loaded", error);
    }

    [Fact]
    public void ClientCaWithoutCertificatesIsRefused()
    {
        var pki = TestPki.Create(_dir);
        var ca = _dir.Write("empty-ca.pem", "not a certificate\n");
        var error = SingleError(new AgentOptions { CertificateFile = pki.ServerCertFile, CertificateKeyFile = pki.ServerKeyFile, ClientCaFile = ca });
        Assert.StartsWith($"tls.client_ca {ca} holds no PEM certificate", error);
    }
}
