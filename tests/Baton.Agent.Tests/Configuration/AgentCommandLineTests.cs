using Baton.Agent.Configuration;

namespace Baton.Agent.Tests.Configuration;

public sealed class AgentCommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();
    private AgentOptions? _ran;

    public void Dispose() => _dir.Dispose();

    private Task<int> Run(string[] args, Dictionary<string, string?>? env = null) =>
        AgentCommandLine.InvokeAsync(args, (options, _) =>
        {
            _ran = options;
            return Task.FromResult(0);
        }, env ?? new Dictionary<string, string?>(), _stdout, _stderr);

    private async Task AssertConfigError(string[] args, string expected, Dictionary<string, string?>? env = null)
    {
        var exit = await Run(args, env);
        Assert.Equal(2, exit);
        Assert.Null(_ran);
        var text = _stderr.ToString();
        Assert.EndsWith("\n", text);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("baton-agent: ", text);
        Assert.Contains(expected, text);
    }

    [Fact]
    public async Task RunsWithTheLoadedOptions()
    {
        Assert.Equal(0, await Run([]));
        Assert.NotNull(_ran);
        Assert.Equal("127.0.0.1:7070", _ran.Listen);
        Assert.Equal("", _stderr.ToString());
    }

    [Fact]
    public async Task ReturnsTheRunDelegatesExitCode()
    {
        var exit = await AgentCommandLine.InvokeAsync([], (_, _) => Task.FromResult(7), new Dictionary<string, string?>(), _stdout, _stderr);
        Assert.Equal(7, exit);
    }

    [Fact]
    public async Task FileThenEnvironmentThenFlags()
    {
        var token = _dir.Write("token", "t0k3n\n");
        var file = _dir.Write("agent.yaml", $"""
            listen: 127.0.0.1:7001
            data_dir: {_dir.PathOf("data")}
            port_range: 21000-21999
            token_file: {token}
            log_format: json
            metrics_listen: 127.0.0.1:9001
            """);
        var env = new Dictionary<string, string?>
        {
            ["BATON_AGENT_LISTEN"] = "127.0.0.1:7002",
            ["BATON_AGENT_PORT_RANGE"] = "22000-22999",
            ["BATON_AGENT_METRICS_LISTEN"] = "127.0.0.1:9002",
        };

        var exit = await Run(["--config", file, "--listen", "127.0.0.1:7003", "--log-format", "text"], env);

        Assert.Equal(0, exit);
        Assert.NotNull(_ran);
        Assert.Equal("127.0.0.1:7003", _ran.Listen);
        Assert.Equal((22000, 22999), (_ran.PortRangeStart, _ran.PortRangeEnd));
        Assert.Equal("127.0.0.1:9002", _ran.MetricsListen);
        Assert.Equal(AgentLogFormat.Text, _ran.LogFormat);
        Assert.Equal(_dir.PathOf("data"), _ran.DataDir);
        Assert.Equal(token, _ran.TokenFile);
    }

    [Fact]
    public async Task EveryFlagIsAccepted()
    {
        var pki = Security.TestPki.Create(_dir);
        var token = _dir.Write("token", "t0k3n");
        var exit = await Run(
        [
            "--listen", "0.0.0.0:7443", "--data-dir", _dir.PathOf("data"), "--port-range", "30000-30010",
            "--token-file", token, "--tls-cert", pki.ServerCertFile, "--tls-key", pki.ServerKeyFile,
            "--tls-client-ca", pki.CaCertFile, "--log-format", "json", "--metrics-listen", "off",
        ]);
        Assert.Equal(0, exit);
        Assert.NotNull(_ran);
        Assert.Equal("0.0.0.0:7443", _ran.Listen);
        Assert.Equal((30000, 30010), (_ran.PortRangeStart, _ran.PortRangeEnd));
        Assert.Equal(pki.ServerCertFile, _ran.CertificateFile);
        Assert.Equal(pki.ServerKeyFile, _ran.CertificateKeyFile);
        Assert.Equal(pki.CaCertFile, _ran.ClientCaFile);
        Assert.Equal(AgentLogFormat.Json, _ran.LogFormat);
        Assert.Null(_ran.MetricsListen);
    }

    [Fact]
    public async Task ConfigurationErrorsRaisedWhileStartingExitWith2()
    {
        var exit = await AgentCommandLine.InvokeAsync([], (_, _) => throw new AgentConfigurationException("token_file /x cannot be read: gone"),
            new Dictionary<string, string?>(), _stdout, _stderr);
        Assert.Equal(2, exit);
        Assert.Equal("baton-agent: token_file /x cannot be read: gone\n", _stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public Task NonLoopbackWithoutAuthenticationExitsWith2() =>
        AssertConfigError(["--listen", "0.0.0.0:7070"], "listen 0.0.0.0:7070 is reachable beyond this host but no authentication is configured; refusing to start.");

    [Fact]
    public Task NonLoopbackFromTheEnvironmentIsRefusedToo() =>
        AssertConfigError([], "no authentication is configured", new() { ["BATON_AGENT_LISTEN"] = "0.0.0.0:7070" });

    [Fact]
    public Task BadPortRangeExitsWith2() =>
        AssertConfigError(["--port-range", "30000-20000"], "port_range 30000-20000: the start must not be greater than the end");

    [Fact]
    public Task UnparsablePortRangeExitsWith2() =>
        AssertConfigError(["--port-range", "lots"], "--port-range: port_range must be START-END");

    [Fact]
    public Task MissingTokenFileExitsWith2() =>
        AssertConfigError(["--token-file", _dir.PathOf("missing")], $"token_file {_dir.PathOf("missing")} does not exist");

    [Fact]
    public Task KeyWithoutCertificateExitsWith2() =>
        AssertConfigError(["--tls-key", _dir.Write("k.pem", "x")], "tls.key is set but tls.certificate is not");

    [Fact]
    public Task UnknownYamlKeyExitsWith2()
    {
        var file = _dir.Write("agent.yaml", "listen: 127.0.0.1:7070\ntoken: abc\n");
        return AssertConfigError(["--config", file], $"{file} line 2: unknown key 'token'");
    }

    [Fact]
    public Task SeveralErrorsAreReportedOnOneLine() =>
        AssertConfigError(["--listen", "nowhere", "--port-range", "5-1"], "listen: 'nowhere' is not a valid address; expected HOST:PORT");

    [Fact]
    public Task UnknownFlagExitsWith2() =>
        AssertConfigError(["--lisen", "127.0.0.1:1"], "--lisen");

    [Fact]
    public Task FlagWithoutValueExitsWith2() =>
        AssertConfigError(["--listen"], "--listen");

    [Fact]
    public async Task WarningsGoToStderrButDoNotStopTheStart()
    {
        var token = _dir.Write("token", "t0k3n");
        Assert.Equal(0, await Run(["--listen", "0.0.0.0:7070", "--token-file", token]));
        Assert.NotNull(_ran);
        Assert.StartsWith("baton-agent: warning: listen 0.0.0.0:7070 is reachable beyond this host without TLS", _stderr.ToString());
    }

    [Fact]
    public async Task HelpListsTheFlagsAndTheirVariables()
    {
        Assert.Equal(0, await Run(["--help"]));
        Assert.Null(_ran);
        var help = _stdout.ToString();
        foreach (var flag in new[] { "--config", "--listen", "--data-dir", "--port-range", "--token-file", "--tls-cert", "--tls-key", "--tls-client-ca", "--log-format", "--metrics-listen" })
            Assert.Contains(flag, help);
        Assert.Contains("BATON_AGENT_TOKEN_FILE", help);
    }

    [Fact]
    public void CreateCommandExposesARootCommandWithAnAction()
    {
        var command = AgentCommandLine.CreateCommand((_, _) => Task.FromResult(0), new Dictionary<string, string?>());
        Assert.NotNull(command.Action);
    }
}
