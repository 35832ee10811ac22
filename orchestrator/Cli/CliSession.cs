using System.Net.Http.Headers;
using Baton.Protos.Orchestrator.V1;
using Baton.Orchestrator.Cli.Rendering;
using Grpc.Net.Client;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>
/// One client command's connection and output: the orchestrator client (channel opened on first
/// use), the writers, and a Spectre console created only when something is rendered, so a
/// command that fails early or prints JSON never pays for it.
/// </summary>
public sealed class CliSession : IDisposable
{
    private readonly string? _token;
    private readonly CliEnvironment _environment;
    private GrpcChannel? _channel;
    private Protos.Orchestrator.V1.Orchestrator.OrchestratorClient? _client;
    private IAnsiConsole? _console;
    private PlainTextWriter? _plainOut;

    public CliSession(Uri server, string? token, TextWriter output, TextWriter error, CliEnvironment environment)
    {
        Server = server;
        _token = token;
        Out = output;
        Error = error;
        _environment = environment;
        // Only the real, unredirected stdout is a terminal; tests and pipes get plain text.
        IsTerminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected && !environment.DumbTerminal;
    }

    public Uri Server { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>True when stdout is a terminal: live progress redraws in place, otherwise one line per change.</summary>
    public bool IsTerminal { get; }

    public Protos.Orchestrator.V1.Orchestrator.OrchestratorClient Client => _client ??= new(Channel());

    public IAnsiConsole Console => _console ??= CreateConsole();

    public Task WriteErrorAsync(string message) => Error.WriteLineAsync($"baton: {message.ReplaceLineEndings(" ")}");

    private GrpcChannel Channel()
    {
        var handler = new SocketsHttpHandler
        {
            // A dead address should fail in seconds, not after the OS's minutes-long SYN retries.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        };
        HttpMessageHandler outer = _token is null ? handler : new BearerTokenHandler(_token, handler);
        _channel = GrpcChannel.ForAddress(Server, new GrpcChannelOptions
        {
            HttpHandler = outer,
            DisposeHttpClient = true,
            // Artifacts go up in 1 MiB chunks; replies (a long history, every instance) can be large.
            MaxSendMessageSize = 4 * 1024 * 1024,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        return _channel;
    }

    private IAnsiConsole CreateConsole()
    {
        var ansi = IsTerminal;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ansi && !_environment.NoColor ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = ansi ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(IsTerminal ? Out : _plainOut = new PlainTextWriter(Out)),
        });
        // Spectre wraps non-terminal output at 80 columns; tables piped to a file or a test read better unwrapped.
        if (!IsTerminal) console.Profile.Width = 200;
        return console;
    }

    public void Dispose()
    {
        // Spectre output held for trimming must reach stdout, also when the command failed midway.
        _plainOut?.Flush();
        _channel?.Dispose();
    }

    /// <summary>
    /// Adds the bearer token to every call. A handler rather than call credentials: gRPC refuses
    /// call credentials on plaintext channels, and `baton server` on loopback speaks h2c.
    /// </summary>
    private sealed class BearerTokenHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", token);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
