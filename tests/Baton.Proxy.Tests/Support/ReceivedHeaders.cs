using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Baton.Proxy.Tests.Support;

/// <summary>The request headers a <see cref="TestBackend"/> received, as its <c>/headers</c> path reports them.</summary>
internal sealed class ReceivedHeaders
{
    private readonly Dictionary<string, string[]> _headers;

    private ReceivedHeaders(Dictionary<string, string[]> headers) => _headers = headers;

    /// <summary>Each header line's values as the backend's server parsed them, by lower-case name.</summary>
    public static string Serialize(IHeaderDictionary headers) =>
        JsonSerializer.Serialize(headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? "").ToArray()));

    /// <summary>Sends <paramref name="request"/> (to <c>/headers</c>) and reads what the backend received.</summary>
    public static async Task<ReceivedHeaders> FetchAsync(HttpClient client, HttpRequestMessage request)
    {
        using var sent = request;
        using var response = await client.SendAsync(sent);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return new ReceivedHeaders(JsonSerializer.Deserialize<Dictionary<string, string[]>>(body)
            ?? throw new InvalidOperationException($"the backend answered no headers: {body}"));
    }

    /// <summary>The header's values joined as one line would carry them, or null when the backend did not receive it.</summary>
    public string? this[string name] => _headers.TryGetValue(name.ToLowerInvariant(), out var values) ? string.Join(", ", values) : null;
}
