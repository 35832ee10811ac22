using System.Net.Sockets;
using Grpc.Core;

namespace Baton.Agent.Probes;

/// <summary>
/// Turns the exceptions a check meets into the short message operators read in instance
/// status ("connect refused" rather than a stack trace).
/// </summary>
internal static class ProbeFailure
{
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connect refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.TimedOut => "connect timed out",
        _ => $"connect failed: {e.SocketErrorCode}",
    };

    public static string Describe(HttpRequestException e) =>
        FindSocketError(e) is { } socket
            ? Describe(socket)
            : $"HTTP request failed: {e.HttpRequestError}";

    public static string Describe(RpcException e, string service)
    {
        if (e.StatusCode == StatusCode.NotFound)
            return service.Length == 0 ? "server health not registered" : $"unknown service \"{service}\"";
        if (e.StatusCode == StatusCode.Unimplemented)
            return "grpc.health.v1 not implemented";
        if (e.StatusCode == StatusCode.Unavailable && FindSocketError(e.Status.DebugException) is { } socket)
            return Describe(socket);
        return e.Status.Detail.Length == 0 ? $"gRPC {e.StatusCode}" : $"gRPC {e.StatusCode}: {Shorten(e.Status.Detail)}";
    }

    private static SocketException? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SocketException socket) return socket;
        return null;
    }

    // The detail comes from the app; keep status messages readable whatever it sends.
    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
