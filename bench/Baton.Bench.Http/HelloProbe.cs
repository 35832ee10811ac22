using System.Text.Json;

namespace Baton.Bench.Http;

/// <summary>Asks the hello app (directly or through a proxy) which release answers `GET /`.</summary>
internal static class HelloProbe
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>"v1", "v2", "HTTP 502" and the like, or "no answer (…)" when nothing answered.</summary>
    public static async Task<string> WhoAnswersAsync(string url, CancellationToken cancel)
    {
        try
        {
            using var response = await Client.GetAsync(url, cancel);
            if (!response.IsSuccessStatusCode) return $"HTTP {(int)response.StatusCode}";
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
            return body.RootElement.GetProperty("version").GetString() ?? "?";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return $"no answer ({(e is TaskCanceledException ? "timeout" : e.InnerException?.Message ?? e.Message)})";
        }
    }

    /// <summary>Polls until <paramref name="version"/> answers <paramref name="times"/> times in a row, or throws after <paramref name="limit"/>.</summary>
    public static async Task WaitForAsync(string url, string version, int times, TimeSpan limit, CancellationToken cancel, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + limit;
        var streak = 0;
        var last = "";
        while (streak < times)
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{url} did not answer with {version} within {limit.TotalSeconds:0} s (last: {last}){(diagnostics is null ? "" : "\n" + diagnostics())}");
            last = await WhoAnswersAsync(url, cancel);
            streak = last == version ? streak + 1 : 0;
            if (streak < times) await Task.Delay(50, cancel);
        }
    }
}
