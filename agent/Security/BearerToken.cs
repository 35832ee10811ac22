using System.Security.Cryptography;
using System.Text;
using Baton.Agent.Configuration;

namespace Baton.Agent.Security;

/// <summary>
/// The bearer token callers must present. Only its SHA-256 is kept: comparing fixed-length
/// digests with <see cref="CryptographicOperations.FixedTimeEquals"/> reveals neither the
/// token's bytes nor its length through timing, and a memory dump does not hold the token.
/// </summary>
public sealed class BearerToken
{
    private readonly byte[] _digest;

    private BearerToken(byte[] digest) => _digest = digest;

    /// <summary>Reads the token from <paramref name="path"/>, trimmed of surrounding whitespace (a trailing newline is usual).</summary>
    /// <exception cref="AgentConfigurationException">The file cannot be read or holds no token.</exception>
    public static BearerToken FromFile(string path) => FromToken(ReadFile(path));

    /// <summary>For tests and callers that already hold the token.</summary>
    public static BearerToken FromToken(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new BearerToken(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Whether <paramref name="presented"/> is the token, in time independent of where they differ.</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = new byte[Encoding.UTF8.GetByteCount(presented)];
        Encoding.UTF8.GetBytes(presented, bytes);
        SHA256.HashData(bytes, digest);
        CryptographicOperations.ZeroMemory(bytes);
        return CryptographicOperations.FixedTimeEquals(digest, _digest);
    }

    internal static string ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigurationException($"token_file {path} cannot be read: {e.Message}", e);
        }
        var token = text.Trim();
        if (token.Length == 0)
            throw new AgentConfigurationException($"token_file {path} is empty; put the bearer token in it (e.g. openssl rand -hex 32 > {path})");
        if (token.Any(char.IsWhiteSpace))
            throw new AgentConfigurationException($"token_file {path} holds more than one word; the token must be a single line without spaces");
        return token;
    }

    // The token is a secret: nothing that might be logged or shown in a debugger reveals it.
    public override string ToString() => "BearerToken(***)";
}
