namespace Baton.Proxy.Xds;

/// <summary>
/// Where the ADS client stands, for health checks and operators: whether a stream to the orchestrator
/// is up, the last version ACKed per type, and the last refusal. Thread-safe; written only by <see cref="AdsClient"/>.
/// </summary>
public sealed class AdsClientStatus
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _ackedVersions = new(StringComparer.Ordinal);
    private bool _connected;
    private string? _lastNackError;
    private long _appliedConfigs;

    /// <summary>True while an ADS stream is open and the server has answered on it.</summary>
    public bool Connected
    {
        get { lock (_lock) return _connected; }
    }

    /// <summary>How many configs the data path has accepted since start.</summary>
    public long AppliedConfigs
    {
        get { lock (_lock) return _appliedConfigs; }
    }

    /// <summary>The last NACK's error_detail message (type and reason), or null when nothing was ever refused.</summary>
    public string? LastNackError
    {
        get { lock (_lock) return _lastNackError; }
    }

    /// <summary>The version_info last ACKed for the type (see <see cref="XdsTypeUrl"/>), or null.</summary>
    public string? LastAckedVersion(string typeUrl)
    {
        lock (_lock) return _ackedVersions.GetValueOrDefault(typeUrl);
    }

    public IReadOnlyDictionary<string, string> AckedVersions
    {
        get { lock (_lock) return new Dictionary<string, string>(_ackedVersions, StringComparer.Ordinal); }
    }

    internal void SetConnected(bool connected)
    {
        lock (_lock) _connected = connected;
    }

    internal void Acked(string typeUrl, string version)
    {
        lock (_lock)
        {
            _ackedVersions[typeUrl] = version;
            _appliedConfigs++;
        }
    }

    internal void Nacked(string typeUrl, string error)
    {
        lock (_lock) _lastNackError = $"{XdsTypeUrl.ShortName(typeUrl)}: {error}";
    }
}
