using System.Net.Sockets;

namespace Baton.Orchestrator.Tests.EndToEnd;

/// <summary>
/// A <see cref="SocketsHttpHandler.ConnectCallback"/> that opens TCP connections as the handler would
/// and counts them: a load whose clients must keep one connection for the whole run can then tell a
/// connection that was closed under it, or a request the handler silently retried on a fresh one.
/// </summary>
internal static class CountedConnections
{
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Callback(Action opened) =>
        async (context, cancellationToken) =>
        {
            opened();
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
