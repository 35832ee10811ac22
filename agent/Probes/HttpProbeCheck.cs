using System.Net.Http.Headers;

namespace Baton.Agent.Probes;

/// <summary>
/// Healthy when GET http://127.0.0.1:port/path answers 2xx. Redirects count as failures
/// (the shared client does not follow them) and the body is never read.
/// </summary>
internal sealed class HttpProbeCheck : IProbeCheck
{
    private static readonly ProductInfoHeaderValue UserAgent = new("baton-agent-probe", "1");

    private readonly HttpClient _client;

    public HttpProbeCheck(HttpClient client, int port, string path)
    {
        _client = client;
        // Concatenated, not resolved against a base URI: a path like "//other-host/x" must stay
        // a path on 127.0.0.1 instead of becoming a network-path reference to another host.
        Uri = new Uri($"http://127.0.0.1:{port}{path}", UriKind.Absolute);
    }

    public Uri Uri { get; }

    public async Task<ProbeOutcome> CheckAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Uri);
        request.Headers.UserAgent.Add(UserAgent);
        // A fresh connection per check, as kubelet does: a pooled connection to an app that
        // restarted on the same port would fail the first check after the restart for nothing.
        request.Headers.ConnectionClose = true;
        try
        {
            using var response = await _client
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct)
                .ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return new ProbeOutcome(code is >= 200 and <= 299, $"HTTP {code}");
        }
        catch (HttpRequestException e)
        {
            return ProbeOutcome.Fail(ProbeFailure.Describe(e));
        }
    }

    public override string ToString() => $"http GET {Uri}";
}
