namespace Baton.Proxy.Configuration;

/// <summary>
/// The seam between the xDS client and the data path. The xDS client calls it with each complete
/// config it has translated; the data path binds new listeners, releases removed ones and swaps
/// its routing in. A config the data path cannot apply (a port it cannot bind) comes back as an
/// error, which the xDS client NACKs with, and the previous config stays in force.
/// </summary>
public interface IProxyConfigApplier
{
    /// <returns>Null when applied; otherwise why not, in words fit for a NACK's error_detail.</returns>
    Task<string?> ApplyAsync(ProxyConfig config, CancellationToken cancellationToken);
}
