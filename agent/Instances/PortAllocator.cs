using System.Net;
using System.Net.Sockets;
using Baton.Agent.Configuration;
using Grpc.Core;

namespace Baton.Agent.Instances;

/// <summary>
/// Hands out instance ports from the configured range: never one another instance holds, and
/// never one something else on the host is already listening on (checked with a bind).
/// </summary>
internal sealed class PortAllocator(AgentOptions options)
{
    private readonly object _lock = new();
    private readonly Dictionary<int, string> _owners = [];
    private int _cursor = options.PortRangeStart;

    public int Allocate(string instanceId)
    {
        lock (_lock)
        {
            var size = options.PortRangeEnd - options.PortRangeStart + 1;
            for (var i = 0; i < size; i++)
            {
                var port = options.PortRangeStart + (_cursor - options.PortRangeStart + i) % size;
                if (_owners.ContainsKey(port) || !IsFree(port)) continue;
                _owners[port] = instanceId;
                _cursor = port + 1 > options.PortRangeEnd ? options.PortRangeStart : port + 1;
                return port;
            }
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"port range {options.PortRangeStart}-{options.PortRangeEnd} is exhausted ({_owners.Count(o => o.Key >= options.PortRangeStart && o.Key <= options.PortRangeEnd)} held by instances, the rest busy on this host)"));
        }
    }

    /// <summary>Records a port an instance already has (fixed in its spec, or adopted after a restart).</summary>
    public void Claim(int port, string instanceId)
    {
        lock (_lock)
        {
            if (_owners.TryGetValue(port, out var owner) && owner != instanceId)
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"port {port} is already used by instance {owner}"));
            _owners[port] = instanceId;
        }
    }

    public string? OwnerOf(int port)
    {
        lock (_lock) return _owners.GetValueOrDefault(port);
    }

    public void Release(int port, string instanceId)
    {
        lock (_lock)
        {
            if (_owners.TryGetValue(port, out var owner) && owner == instanceId) _owners.Remove(port);
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
