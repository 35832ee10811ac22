using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Baton.Agent.Configuration;

/// <summary>
/// Builds <see cref="AgentOptions"/> from, in increasing precedence: the YAML file, environment
/// variables (BATON_AGENT_*), then command-line flags. Every setting is described once in
/// <see cref="Settings"/>, so the three sources cannot drift apart in names or parsing.
/// </summary>
/// <remarks>
/// The YAML is read through YamlDotNet's representation model rather than its reflection-based
/// deserializer, so trimming or AOT-compiling the agent cannot silently drop settings.
/// An empty value (empty environment variable, empty or null YAML scalar) leaves the setting as
/// it was: systemd's Environment= and templated YAML often produce empty values meaning "unset".
/// </remarks>
public sealed partial class AgentConfigurationLoader
{
    /// <summary>Names the YAML file when --config is not given.</summary>
    public const string ConfigFileVariable = "BATON_AGENT_CONFIG";

    /// <summary>Prefix of every environment variable the agent reads.</summary>
    public const string VariablePrefix = "BATON_AGENT_";

    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly string _workingDirectory;

    /// <param name="environment">
    /// The environment to read; tests pass their own dictionary instead of the process's, so
    /// they neither race with each other nor depend on the machine.
    /// </param>
    /// <param name="workingDirectory">Base for relative paths given by environment or flags; defaults to the current directory.</param>
    public AgentConfigurationLoader(IReadOnlyDictionary<string, string?> environment, string? workingDirectory = null)
    {
        _environment = environment;
        _workingDirectory = workingDirectory ?? Environment.CurrentDirectory;
    }

    /// <summary>The process's BATON_AGENT_* variables.</summary>
    public static IReadOnlyDictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && name.StartsWith(VariablePrefix, StringComparison.Ordinal))
                result[name] = entry.Value as string;
        }
        return result;
    }

    /// <summary>
    /// Every setting: its YAML key (nested keys joined with '.'), environment variable, flag
    /// (null when only file and environment can set it) and how its text becomes a value.
    /// </summary>
    internal static readonly IReadOnlyList<Setting> Settings =
    [
        new("listen", "BATON_AGENT_LISTEN", "--listen", "HOST:PORT", "Address of the gRPC endpoint (default 127.0.0.1:7070).",
            (o, v, _, _) => o.Listen = v),
        new("data_dir", "BATON_AGENT_DATA_DIR", "--data-dir", "PATH", "Folder for releases, instances and the state file.",
            (o, v, _, dir) => o.DataDir = Path.GetFullPath(v, dir)),
        new("port_range", "BATON_AGENT_PORT_RANGE", "--port-range", "START-END", "Ports assigned to instances, e.g. 20000-20999.",
            (o, v, origin, _) => (o.PortRangeStart, o.PortRangeEnd) = ParsePortRange(v, origin)),
        new("keep_releases", "BATON_AGENT_KEEP_RELEASES", null, null, null,
            (o, v, origin, _) => o.KeepReleases = ParseInt(v, "keep_releases", origin)),
        new("log_max_bytes", "BATON_AGENT_LOG_MAX_BYTES", null, null, null,
            (o, v, origin, _) => o.LogMaxBytes = ParseLong(v, "log_max_bytes", origin)),
        new("log_retained_files", "BATON_AGENT_LOG_RETAINED_FILES", null, null, null,
            (o, v, origin, _) => o.LogRetainedFiles = ParseInt(v, "log_retained_files", origin)),
        new("max_chunk_bytes", "BATON_AGENT_MAX_CHUNK_BYTES", null, null, null,
            (o, v, origin, _) => o.MaxChunkBytes = ParseInt(v, "max_chunk_bytes", origin)),
        new("max_artifact_bytes", "BATON_AGENT_MAX_ARTIFACT_BYTES", null, null, null,
            (o, v, origin, _) => o.MaxArtifactBytes = ParseLong(v, "max_artifact_bytes", origin)),
        new("token_file", "BATON_AGENT_TOKEN_FILE", "--token-file", "PATH", "File holding the bearer token callers must present.",
            (o, v, _, dir) => o.TokenFile = Path.GetFullPath(v, dir)),
        new("tls.certificate", "BATON_AGENT_TLS_CERT", "--tls-cert", "PATH", "PEM certificate (chain) to serve TLS with.",
            (o, v, _, dir) => o.CertificateFile = Path.GetFullPath(v, dir)),
        new("tls.key", "BATON_AGENT_TLS_KEY", "--tls-key", "PATH", "PEM private key of the certificate.",
            (o, v, _, dir) => o.CertificateKeyFile = Path.GetFullPath(v, dir)),
        new("tls.client_ca", "BATON_AGENT_TLS_CLIENT_CA", "--tls-client-ca", "PATH", "PEM CA bundle; clients must present a certificate it signed (mTLS).",
            (o, v, _, dir) => o.ClientCaFile = Path.GetFullPath(v, dir)),
        new("log_format", "BATON_AGENT_LOG_FORMAT", "--log-format", "text|json", "Console log format (default text).",
            (o, v, origin, _) => o.LogFormat = ParseLogFormat(v, origin)),
        new("metrics_listen", "BATON_AGENT_METRICS_LISTEN", "--metrics-listen", "HOST:PORT|off", "Address of the HTTP/1.1 /metrics endpoint (default 127.0.0.1:7071), or off.",
            (o, v, _, _) => o.MetricsListen = IsOff(v) ? null : v),
    ];

    private static readonly Dictionary<string, Setting> SettingsByKey = Settings.ToDictionary(s => s.Key, StringComparer.Ordinal);

    /// <summary>
    /// Loads the options. <paramref name="configFile"/> is --config when given (it wins over
    /// BATON_AGENT_CONFIG); <paramref name="flags"/> holds command-line values by setting key.
    /// </summary>
    /// <exception cref="AgentConfigurationException">A source cannot be read or holds an invalid value.</exception>
    public AgentOptions Load(string? configFile = null, IReadOnlyDictionary<string, string>? flags = null)
    {
        var options = new AgentOptions();

        var file = !string.IsNullOrEmpty(configFile) ? Path.GetFullPath(configFile, _workingDirectory)
            : _environment.TryGetValue(ConfigFileVariable, out var fromEnv) && !string.IsNullOrEmpty(fromEnv) ? Path.GetFullPath(fromEnv, _workingDirectory)
            : null;
        if (file is not null) ApplyYamlFile(options, file);

        foreach (var setting in Settings)
        {
            if (_environment.TryGetValue(setting.Variable, out var value) && !string.IsNullOrEmpty(value))
                setting.Apply(options, value, $"environment variable {setting.Variable}", _workingDirectory);
        }

        if (flags is not null)
        {
            foreach (var (key, value) in flags)
            {
                if (!SettingsByKey.TryGetValue(key, out var setting))
                    throw new ArgumentException($"'{key}' is not a setting key", nameof(flags));
                if (!string.IsNullOrEmpty(value))
                    setting.Apply(options, value, setting.Flag ?? key, _workingDirectory);
            }
        }

        return options;
    }

    private static void ApplyYamlFile(AgentOptions options, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"config file {path}: cannot be read: {e.Message}", e);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new AgentConfigurationException($"{path} line {e.Start.Line}: {YamlMessage(e)}", e);
        }

        if (stream.Documents.Count == 0) return;
        if (stream.Documents.Count > 1)
            throw new AgentConfigurationException($"{path} line {stream.Documents[1].RootNode.Start.Line}: only one YAML document is allowed");

        var root = stream.Documents[0].RootNode;
        if (IsNull(root)) return;
        if (root is not YamlMappingNode mapping)
            throw new AgentConfigurationException($"{path} line {root.Start.Line}: the file must be a mapping of settings (key: value)");

        var directory = Path.GetDirectoryName(path) ?? "/";
        ApplyMapping(options, mapping, prefix: "", path, directory);
    }

    private static void ApplyMapping(AgentOptions options, YamlMappingNode mapping, string prefix, string path, string directory)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var line = keyNode.Start.Line;
            if (keyNode is not YamlScalarNode { Value: { } keyText })
                throw new AgentConfigurationException($"{path} line {line}: keys must be plain names");
            var key = prefix + keyText;

            if (key == "tls")
            {
                if (IsNull(valueNode)) continue;
                if (valueNode is not YamlMappingNode tls)
                    throw new AgentConfigurationException($"{path} line {valueNode.Start.Line}: tls must be a mapping with certificate, key and client_ca");
                ApplyMapping(options, tls, "tls.", path, directory);
                continue;
            }

            if (!SettingsByKey.TryGetValue(key, out var setting))
            {
                var known = prefix.Length == 0
                    ? string.Join(", ", Settings.Select(s => s.Key.Split('.')[0]).Distinct())
                    : string.Join(", ", Settings.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(s => s.Key[prefix.Length..]));
                throw new AgentConfigurationException($"{path} line {line}: unknown key '{key}' (known keys{(prefix.Length == 0 ? "" : " under " + prefix.TrimEnd('.'))}: {known})");
            }

            if (IsNull(valueNode)) continue;
            if (valueNode is not YamlScalarNode { Value: { } value })
                throw new AgentConfigurationException($"{path} line {valueNode.Start.Line}: {key} must be a single value, not a list or mapping");
            setting.Apply(options, value, $"{path} line {valueNode.Start.Line}", directory);
        }
    }

    /// <summary>An empty value, "~" or "null" written without quotes: YAML's "nothing".</summary>
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar
        && (string.IsNullOrEmpty(scalar.Value) || scalar.Value is "~" or "null" or "Null" or "NULL");

    private static string YamlMessage(YamlException e)
    {
        // YamlDotNet prefixes the message with "(Line: 3, Col: 1, Idx: 20) - (Line: ...): "; the
        // line is reported by the caller, and a one-line message must not carry the rest twice.
        var message = MarkPrefix().Replace(e.Message, "");
        return message.ReplaceLineEndings(" ");
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    private static bool IsOff(string value) =>
        value.Equals("off", StringComparison.OrdinalIgnoreCase) || value.Equals("none", StringComparison.OrdinalIgnoreCase);

    private static int ParseInt(string value, string key, string origin) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new AgentConfigurationException($"{origin}: {key} must be a whole number, got '{value}'");

    private static long ParseLong(string value, string key, string origin) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new AgentConfigurationException($"{origin}: {key} must be a whole number of bytes, got '{value}'");

    private static (int Start, int End) ParsePortRange(string value, string origin)
    {
        var dash = value.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && int.TryParse(value.AsSpan(0, dash).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && int.TryParse(value.AsSpan(dash + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var end))
        {
            return (start, end);
        }
        throw new AgentConfigurationException($"{origin}: port_range must be START-END, e.g. 20000-20999, got '{value}'");
    }

    private static AgentLogFormat ParseLogFormat(string value, string origin) => value.ToLowerInvariant() switch
    {
        "text" => AgentLogFormat.Text,
        "json" => AgentLogFormat.Json,
        _ => throw new AgentConfigurationException($"{origin}: log_format must be 'text' or 'json', got '{value}'"),
    };

    /// <param name="Apply">(options, value, where the value came from, base folder for relative paths)</param>
    internal sealed record Setting(
        string Key,
        string Variable,
        string? Flag,
        string? FlagValueName,
        string? FlagDescription,
        Action<AgentOptions, string, string, string> Apply);
}
