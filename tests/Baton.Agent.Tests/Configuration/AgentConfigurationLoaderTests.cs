using Baton.Agent.Configuration;

namespace Baton.Agent.Tests.Configuration;

public sealed class AgentConfigurationLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AgentConfigurationLoader Loader(Dictionary<string, string?>? env = null, string? cwd = null) =>
        new(env ?? new Dictionary<string, string?>(), cwd ?? "/srv/work");

    private static AgentConfigurationException LoadFails(AgentConfigurationLoader loader, string? config = null, Dictionary<string, string>? flags = null) =>
        Assert.Throws<AgentConfigurationException>(() => loader.Load(config, flags));

    [Fact]
    public void WithoutAnySourceGivesTheDefaults()
    {
        var options = Loader().Load();
        var defaults = new AgentOptions();
        Assert.Equal(defaults.Listen, options.Listen);
        Assert.Equal("127.0.0.1:7071", options.MetricsListen);
        Assert.Equal((20000, 20999), (options.PortRangeStart, options.PortRangeEnd));
        Assert.Equal(AgentLogFormat.Text, options.LogFormat);
        Assert.Null(options.TokenFile);
    }

    [Fact]
    public void ReadsEveryKeyFromYaml()
    {
        var file = _dir.Write("agent.yaml", """
            # every key
            listen: "0.0.0.0:7443"
            data_dir: /var/lib/x
            port_range: "30000-30100"
            keep_releases: 7
            log_max_bytes: 2048
            log_retained_files: 2
            max_chunk_bytes: 4096
            max_artifact_bytes: 123456789
            token_file: /etc/baton/token
            tls:
              certificate: /etc/baton/agent.crt
              key: /etc/baton/agent.key
              client_ca: /etc/baton/ca.crt
            log_format: json
            metrics_listen: 127.0.0.1:9100
            """);

        var o = Loader().Load(file);

        Assert.Equal("0.0.0.0:7443", o.Listen);
        Assert.Equal("/var/lib/x", o.DataDir);
        Assert.Equal((30000, 30100), (o.PortRangeStart, o.PortRangeEnd));
        Assert.Equal(7, o.KeepReleases);
        Assert.Equal(2048, o.LogMaxBytes);
        Assert.Equal(2, o.LogRetainedFiles);
        Assert.Equal(4096, o.MaxChunkBytes);
        Assert.Equal(123456789, o.MaxArtifactBytes);
        Assert.Equal("/etc/baton/token", o.TokenFile);
        Assert.Equal("/etc/baton/agent.crt", o.CertificateFile);
        Assert.Equal("/etc/baton/agent.key", o.CertificateKeyFile);
        Assert.Equal("/etc/baton/ca.crt", o.ClientCaFile);
        Assert.Equal(AgentLogFormat.Json, o.LogFormat);
        Assert.Equal("127.0.0.1:9100", o.MetricsListen);
    }

    [Fact]
    public void TheExampleConfigInDocsLoads()
    {
        var example = Path.Combine(FindRepoRoot(), "docs", "agent-config.example.yaml");
        var o = Loader().Load(example);
        Assert.Equal("127.0.0.1:7070", o.Listen);
    }

    [Fact]
    public void EnvironmentOverridesFileAndFlagsOverrideEnvironment()
    {
        var file = _dir.Write("agent.yaml", """
            listen: 127.0.0.1:7001
            data_dir: /from/file
            port_range: 21000-21999
            keep_releases: 4
            log_format: json
            """);
        var env = new Dictionary<string, string?>
        {
            ["BATON_AGENT_CONFIG"] = file,
            ["BATON_AGENT_LISTEN"] = "127.0.0.1:7002",
            ["BATON_AGENT_PORT_RANGE"] = "22000-22999",
            ["BATON_AGENT_KEEP_RELEASES"] = "5",
        };
        var flags = new Dictionary<string, string> { ["listen"] = "127.0.0.1:7003" };

        var o = Loader(env).Load(configFile: null, flags);

        Assert.Equal("127.0.0.1:7003", o.Listen);                    // flag beats env and file
        Assert.Equal((22000, 22999), (o.PortRangeStart, o.PortRangeEnd)); // env beats file
        Assert.Equal(5, o.KeepReleases);                             // env beats file
        Assert.Equal("/from/file", o.DataDir);                       // only the file sets it
        Assert.Equal(AgentLogFormat.Json, o.LogFormat);
    }

    [Fact]
    public void ConfigFlagBeatsConfigVariable()
    {
        var fromEnv = _dir.Write("env.yaml", "listen: 127.0.0.1:7001\n");
        var fromFlag = _dir.Write("flag.yaml", "listen: 127.0.0.1:7002\n");
        var o = Loader(new() { ["BATON_AGENT_CONFIG"] = fromEnv }).Load(fromFlag);
        Assert.Equal("127.0.0.1:7002", o.Listen);
    }

    [Fact]
    public void EmptyEnvironmentValuesLeaveTheSettingAlone()
    {
        var file = _dir.Write("agent.yaml", "listen: 127.0.0.1:7001\n");
        var o = Loader(new() { ["BATON_AGENT_LISTEN"] = "", ["BATON_AGENT_TOKEN_FILE"] = null }).Load(file);
        Assert.Equal("127.0.0.1:7001", o.Listen);
        Assert.Null(o.TokenFile);
    }

    [Fact]
    public void RelativePathsInTheFileAreRelativeToTheFileAndOthersToTheWorkingDirectory()
    {
        var file = _dir.Write("agent.yaml", "token_file: secrets/token\ntls:\n  certificate: agent.crt\n");
        var o = Loader(new() { ["BATON_AGENT_TLS_KEY"] = "keys/agent.key" }, cwd: "/srv/work").Load(file);
        Assert.Equal(Path.Combine(_dir.Path, "secrets", "token"), o.TokenFile);
        Assert.Equal(Path.Combine(_dir.Path, "agent.crt"), o.CertificateFile);
        Assert.Equal("/srv/work/keys/agent.key", o.CertificateKeyFile);
    }

    [Fact]
    public void MetricsListenCanBeTurnedOff()
    {
        Assert.Null(Loader(new() { ["BATON_AGENT_METRICS_LISTEN"] = "off" }).Load().MetricsListen);
        Assert.Null(Loader().Load(flags: new Dictionary<string, string> { ["metrics_listen"] = "none" }).MetricsListen);
    }

    [Fact]
    public void NullAndEmptyYamlValuesKeepTheDefaults()
    {
        var file = _dir.Write("agent.yaml", "listen:\ntoken_file: ~\ntls:\n");
        var o = Loader().Load(file);
        Assert.Equal("127.0.0.1:7070", o.Listen);
        Assert.Null(o.TokenFile);
    }

    [Fact]
    public void EmptyFileGivesTheDefaults()
    {
        var file = _dir.Write("agent.yaml", "# nothing set\n");
        Assert.Equal("127.0.0.1:7070", Loader().Load(file).Listen);
    }

    [Fact]
    public void UnknownKeyIsAnErrorNamingKeyAndLine()
    {
        var file = _dir.Write("agent.yaml", "listen: 127.0.0.1:7070\n\nlisten_adress: 0.0.0.0:1\n");
        var e = LoadFails(Loader(), file);
        Assert.StartsWith($"{file} line 3: unknown key 'listen_adress'", e.Message);
        Assert.Contains("known keys: listen, data_dir", e.Message);
    }

    [Fact]
    public void UnknownNestedKeyIsAnErrorNamingKeyAndLine()
    {
        var file = _dir.Write("agent.yaml", "tls:\n  certificate: a.crt\n  cert_key: a.key\n");
        var e = LoadFails(Loader(), file);
        Assert.StartsWith($"{file} line 3: unknown key 'tls.cert_key' (known keys under tls: certificate, key, client_ca)", e.Message);
    }

    [Fact]
    public void KeysAreCaseSensitiveSnakeCase()
    {
        var file = _dir.Write("agent.yaml", "dataDir: /x\n");
        Assert.Contains("line 1: unknown key 'dataDir'", LoadFails(Loader(), file).Message);
    }

    [Fact]
    public void MalformedYamlNamesTheLine()
    {
        var file = _dir.Write("agent.yaml", "listen: 127.0.0.1:7070\ndata_dir: [unclosed\n");
        var e = LoadFails(Loader(), file);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(file)} line [23]: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void DuplicateKeyIsAnError()
    {
        var file = _dir.Write("agent.yaml", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n");
        var e = LoadFails(Loader(), file);
        Assert.StartsWith($"{file} line 2: ", e.Message);
    }

    [Fact]
    public void NonMappingTopLevelIsAnError()
    {
        var file = _dir.Write("agent.yaml", "- listen\n- data_dir\n");
        Assert.Contains("line 1: the file must be a mapping", LoadFails(Loader(), file).Message);
    }

    [Fact]
    public void ListValueIsAnError()
    {
        var file = _dir.Write("agent.yaml", "listen:\n  - 127.0.0.1:1\n");
        Assert.Contains("line 2: listen must be a single value", LoadFails(Loader(), file).Message);
    }

    [Fact]
    public void MissingConfigFileIsAnError()
    {
        var missing = _dir.PathOf("nope.yaml");
        Assert.StartsWith($"config file {missing}: cannot be read", LoadFails(Loader(), missing).Message);
    }

    [Theory]
    [InlineData("keep_releases: many", "line 1: keep_releases must be a whole number, got 'many'")]
    [InlineData("port_range: 20000", "line 1: port_range must be START-END, e.g. 20000-20999, got '20000'")]
    [InlineData("log_format: xml", "line 1: log_format must be 'text' or 'json', got 'xml'")]
    [InlineData("log_max_bytes: 10MB", "line 1: log_max_bytes must be a whole number of bytes, got '10MB'")]
    public void BadValuesInTheFileNameKeyAndLine(string yaml, string expected)
    {
        var file = _dir.Write("agent.yaml", yaml + "\n");
        Assert.Equal($"{file} {expected}", LoadFails(Loader(), file).Message);
    }

    [Fact]
    public void BadValuesInTheEnvironmentNameTheVariable()
    {
        var e = LoadFails(Loader(new() { ["BATON_AGENT_PORT_RANGE"] = "a-b" }));
        Assert.Equal("environment variable BATON_AGENT_PORT_RANGE: port_range must be START-END, e.g. 20000-20999, got 'a-b'", e.Message);
    }

    [Fact]
    public void BadValuesInFlagsNameTheFlag()
    {
        var e = LoadFails(Loader(), flags: new() { ["log_format"] = "yaml" });
        Assert.Equal("--log-format: log_format must be 'text' or 'json', got 'yaml'", e.Message);
    }

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Directory.Build.props above {AppContext.BaseDirectory}");
    }
}
