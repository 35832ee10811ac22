using System.Net.Sockets;
using Grpc.Core;

namespace Baton.Orchestrator.Cli;

/// <summary>A failure the CLI reports as one line on stderr, ending with <see cref="ExitCode"/>.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The one place that turns failures into exit codes and messages:
/// server refusals → 1 with the server's message, connection failures → 3, bad tokens → 4,
/// a `baton server` listener that cannot bind → 71, a data dir another server holds → 75.
/// </summary>
public static class CliErrors
{
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Failed(string message) => new(ExitCodes.Failed, message);

    public static CliException CannotListen(string message) => new(ExitCodes.CannotListen, message);

    public static CliException DataDirInUse(string message) => new(ExitCodes.DataDirInUse, message);

    public static CliException Describe(RpcException e, Uri server)
    {
        switch (e.StatusCode)
        {
            case StatusCode.Unavailable when ConnectionProblem(e) is { } problem:
                return new CliException(ExitCodes.Unreachable, problem.Refused
                    ? $"cannot reach the Baton server at {Display(server)}: {problem.Cause} — is `baton server` running?"
                    : $"lost the connection to the Baton server at {Display(server)}: {problem.Cause}");
            case StatusCode.Unauthenticated:
                return new CliException(ExitCodes.Unauthenticated,
                    $"the Baton server at {Display(server)} refused the request: {e.Status.Detail} (set BATON_TOKEN, BATON_TOKEN_FILE or --token-file)");
            case StatusCode.PermissionDenied:
                return new CliException(ExitCodes.Unauthenticated, $"permission denied: {e.Status.Detail}");
            case StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists or StatusCode.FailedPrecondition:
                // The API's own refusals: their messages are written for the operator, as they are.
                return new CliException(ExitCodes.Failed, e.Status.Detail);
            case StatusCode.Unimplemented:
                return new CliException(ExitCodes.Failed,
                    $"{Display(server)} does not serve this Baton API call ({e.Status.Detail}): is it a `baton server` of the same version?");
            default:
                return new CliException(ExitCodes.Failed, $"the Baton server answered {e.StatusCode}: {e.Status.Detail}");
        }
    }

    private sealed record Problem(bool Refused, string Cause);

    /// <summary>
    /// Unavailable also comes from the server itself (e.g. an agent it could not reach); only a
    /// failure of our own connection, which Grpc.Net.Client attaches as the debug exception, means
    /// the server is unreachable.
    /// </summary>
    private static Problem? ConnectionProblem(RpcException e)
    {
        if (e.Status.DebugException is not { } debug) return null;
        for (var x = debug; x is not null; x = x.InnerException)
        {
            if (x is SocketException socket)
            {
                var cause = socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
                    _ => socket.Message,
                };
                return new Problem(true, cause);
            }
        }
        if (debug is HttpRequestException or IOException or TimeoutException or OperationCanceledException)
        {
            var innermost = debug;
            while (innermost.InnerException is not null) innermost = innermost.InnerException;
            return new Problem(debug is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }, innermost.Message);
        }
        return null;
    }

    private static string Display(Uri server) => server.GetLeftPart(UriPartial.Authority);
}
