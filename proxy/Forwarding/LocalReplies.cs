using System.Text;
using Microsoft.AspNetCore.Http;

namespace Baton.Proxy.Forwarding;

/// <summary>
/// The answers the proxy gives itself when it cannot forward: a status and a one-line body saying
/// why, so whoever reads the response knows it came from the proxy and not from the app.
/// </summary>
internal static class LocalReplies
{
    public static readonly byte[] NoRoute = Encoding.UTF8.GetBytes("no route matches this host and path\n");

    public static readonly byte[] NoWeightedCluster = Encoding.UTF8.GetBytes("the route has no cluster with a weight above zero\n");

    public static readonly byte[] RouteTimeout = Encoding.UTF8.GetBytes("upstream request timeout\n");

    public static readonly byte[] ProxyStopping = Encoding.UTF8.GetBytes("the proxy is reconfiguring or stopping; retry\n");

    public static Task WriteAsync(HttpContext context, int statusCode, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
