using Baton.Agent.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Agent.Security;

/// <summary>What a caller must present, decided once at startup from the options.</summary>
public sealed class AgentCredentials
{
    /// <summary>Null when no token is configured.</summary>
    public BearerToken? Token { get; }

    /// <summary>True when mTLS is configured: a verified client certificate is then required (and, without a token, sufficient).</summary>
    public bool RequireClientCertificate { get; }

    public AgentCredentials(BearerToken? token, bool requireClientCertificate)
    {
        Token = token;
        RequireClientCertificate = requireClientCertificate;
    }

    /// <summary>True when neither a token nor client certificates are configured: only valid for loopback listeners.</summary>
    public bool IsOpen => Token is null && !RequireClientCertificate;

    /// <summary>Reads the token file now, so that a missing or empty token stops the start rather than the first call.</summary>
    /// <exception cref="AgentConfigurationException">The token file cannot be read or is empty.</exception>
    public static AgentCredentials FromOptions(AgentOptions options) => new(
        options.TokenFile is null ? null : BearerToken.FromFile(options.TokenFile),
        options.ClientCaFile is not null && options.CertificateFile is not null);
}

public static class AgentAuthenticationExtensions
{
    /// <summary>Registers the credentials read from the options (the token file is read here, once).</summary>
    /// <exception cref="AgentConfigurationException">The token file cannot be read or is empty.</exception>
    public static IServiceCollection AddAgentAuthentication(this IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(AgentCredentials.FromOptions(options));
        return services;
    }

    /// <summary>
    /// Requires the configured credential on every request except the unauthenticated health
    /// calls. Add it before anything that serves requests (gRPC services, /metrics).
    /// </summary>
    public static IApplicationBuilder UseAgentAuthentication(this IApplicationBuilder app) =>
        app.UseMiddleware<AgentAuthenticationMiddleware>();
}

/// <summary>
/// Middleware rather than a gRPC interceptor, so that /metrics is covered by the same rule.
/// gRPC callers are refused the way a gRPC server refuses (HTTP 200, trailers-only response
/// with grpc-status 16 UNAUTHENTICATED); everything else gets HTTP 401.
/// </summary>
internal sealed partial class AgentAuthenticationMiddleware
{
    /// <summary>The one AgentService call answered without credentials (see agent.proto).</summary>
    internal const string GetHealthPath = "/baton.agent.v1.AgentService/GetHealth";

    private const string StandardHealthPrefix = "/grpc.health.v1.Health/";

    private readonly RequestDelegate _next;
    private readonly AgentCredentials _credentials;
    private readonly ILogger _logger;

    public AgentAuthenticationMiddleware(RequestDelegate next, AgentCredentials credentials, ILogger<AgentAuthenticationMiddleware> logger)
    {
        _next = next;
        _credentials = credentials;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_credentials.IsOpen || IsExempt(context.Request.Path)) return _next(context);

        if (_credentials.RequireClientCertificate && context.Connection.ClientCertificate is null)
        {
            // Kestrel's handshake already requires the certificate; reaching here means a listener
            // was set up without it, which must not turn into an open door.
            return Refuse(context, "a client certificate is required");
        }

        if (_credentials.Token is not null)
        {
            var error = CheckBearer(context.Request.Headers.Authorization, _credentials.Token);
            if (error is not null) return Refuse(context, error);
        }

        return _next(context);
    }

    /// <summary>
    /// Exact, case-sensitive match on the (already dot-segment-normalized) path: any variant
    /// routing might still accept, such as other letter case, falls on the side of requiring
    /// credentials instead of widening the exemption.
    /// </summary>
    internal static bool IsExempt(PathString path)
    {
        var value = path.Value;
        if (value is null) return false;
        if (string.Equals(value, GetHealthPath, StringComparison.Ordinal)) return true;
        if (!value.StartsWith(StandardHealthPrefix, StringComparison.Ordinal)) return false;
        var method = value.AsSpan(StandardHealthPrefix.Length);
        if (method.IsEmpty) return false;
        foreach (var c in method)
        {
            if (!char.IsAsciiLetter(c)) return false;
        }
        return true;
    }

    private static string? CheckBearer(Microsoft.Extensions.Primitives.StringValues headers, BearerToken token)
    {
        if (headers.Count == 0) return "missing authorization: Bearer <token>";
        if (headers.Count > 1) return "more than one authorization header";
        var header = headers[0].AsSpan().Trim();
        const string Scheme = "Bearer ";
        if (header.Length <= Scheme.Length || !header[..Scheme.Length].Equals(Scheme, StringComparison.OrdinalIgnoreCase))
            return "authorization must use the Bearer scheme";
        return token.Matches(header[Scheme.Length..].Trim()) ? null : "invalid bearer token";
    }

    private Task Refuse(HttpContext context, string reason)
    {
        // The reason names what was wrong, never what was presented: the header may be a real token.
        LogRefused(_logger, context.Request.Path.Value ?? "", context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);

        var response = context.Response;
        var contentType = context.Request.ContentType;
        if (contentType is not null && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "16";
            // The reasons are plain ASCII without '%', so they need no percent-encoding.
            response.Headers["grpc-message"] = reason;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status401Unauthorized;
        if (_credentials.Token is not null) response.Headers.WWWAuthenticate = "Bearer";
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync("unauthenticated: " + reason + "\n");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused unauthenticated request to {Path} from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string path, string remote, string reason);
}
