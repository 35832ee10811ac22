using System.CommandLine;
using Grpc.Core;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// What every command talking to the orchestrator shares: the --server and --token-file options
/// (with their environment variables), the session, and the translation of every failure into one
/// line on stderr and an exit code through <see cref="CliErrors"/>.
/// </summary>
public static class ClientCommand
{
    public delegate Task<int> Action(CliSession session, ParseResult parseResult, CancellationToken cancellationToken);

    /// <summary>Adds --server and --token-file to <paramref name="command"/> and runs <paramref name="action"/> as its action.</summary>
    public static void SetAction(Command command, CliEnvironment environment, Action action)
    {
        var serverOption = new Option<string>("--server")
        {
            Description = $"The Baton server's API address [{CliEnvironment.ServerVariable}, default {CliEnvironment.DefaultServer}]",
            HelpName = "URL",
        };
        var tokenFileOption = new Option<string>("--token-file")
        {
            Description = $"File holding the API token [{CliEnvironment.TokenFileVariable}; or the token itself in {CliEnvironment.TokenVariable}]",
            HelpName = "PATH",
        };
        command.Add(serverOption);
        command.Add(tokenFileOption);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            CliSession? session = null;
            try
            {
                var server = ResolveServer(parseResult.GetValue(serverOption), environment);
                var token = ResolveToken(parseResult.GetValue(tokenFileOption), environment);
                session = new CliSession(server, token, parseResult.InvocationConfiguration.Output, error, environment);
                return await action(session, parseResult, cancellationToken);
            }
            catch (CliException e)
            {
                await WriteAsync(error, e.Message);
                return e.ExitCode;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                await WriteAsync(error, "interrupted");
                return ExitCodes.Interrupted;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await WriteAsync(error, "interrupted");
                return ExitCodes.Interrupted;
            }
            catch (RpcException e) when (session is not null)
            {
                var failure = CliErrors.Describe(e, session.Server);
                await WriteAsync(error, failure.Message);
                return failure.ExitCode;
            }
            finally
            {
                session?.Dispose();
            }
        });
    }

    /// <summary>--server, else BATON_SERVER, else the default; "host:port" alone means plaintext HTTP/2 (h2c).</summary>
    internal static Uri ResolveServer(string? flag, CliEnvironment environment)
    {
        var text = flag ?? environment.Get(CliEnvironment.ServerVariable) ?? CliEnvironment.DefaultServer;
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw CliErrors.Usage($"server address '{text}' is not a URL like {CliEnvironment.DefaultServer}");
        return uri;
    }

    /// <summary>
    /// --token-file wins over the environment; of the two variables BATON_TOKEN (the token itself)
    /// wins over BATON_TOKEN_FILE. No token at all is fine: a loopback server needs none.
    /// </summary>
    internal static string? ResolveToken(string? tokenFileFlag, CliEnvironment environment)
    {
        if (tokenFileFlag is not null) return ReadTokenFile(tokenFileFlag, "--token-file");
        if (environment.Get(CliEnvironment.TokenVariable) is { } token) return token.Trim();
        if (environment.Get(CliEnvironment.TokenFileVariable) is { } path) return ReadTokenFile(path, CliEnvironment.TokenFileVariable);
        return null;
    }

    private static string ReadTokenFile(string path, string source)
    {
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliErrors.Usage($"{source}: cannot read the token file '{path}': {e.Message}");
        }
        if (token.Length == 0) throw CliErrors.Usage($"{source}: the token file '{path}' is empty");
        return token;
    }

    private static Task WriteAsync(TextWriter error, string message) => error.WriteLineAsync($"baton: {message.ReplaceLineEndings(" ")}");
}
