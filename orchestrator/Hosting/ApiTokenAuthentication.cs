using System.Security.Cryptography;
using System.Text;

namespace Baton.Orchestrator.Hosting;

/// <summary>
/// Requires `authorization: Bearer &lt;token&gt;` on every request to the API endpoint when a token
/// is configured (always, when the API listens beyond loopback). The token is kept only as its
/// SHA-256 and compared in constant time; it is never logged.
/// </summary>
public sealed class ApiTokenAuthentication(byte[] tokenHash, int apiPort)
{
    public static ApiTokenAuthentication FromFile(string tokenFile, int apiPort)
    {
        var token = File.ReadAllText(tokenFile).Trim();
        if (token.Length == 0) throw new InvalidOperationException($"token file {tokenFile} is empty");
        return new ApiTokenAuthentication(SHA256.HashData(Encoding.UTF8.GetBytes(token)), apiPort);
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Connection.LocalPort != apiPort || IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            await next(context);
            return;
        }
        // gRPC's way of saying 401: HTTP 200 with grpc-status 16 in a trailers-only response.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = "16";
        context.Response.Headers["grpc-message"] = "missing or wrong bearer token";
    }

    private bool IsAuthorized(string header)
    {
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, tokenHash);
    }
}
