namespace Baton.Proxy.Forwarding;

/// <summary>
/// Least request as Envoy does it by default: two endpoints drawn at random (power of two choices),
/// the one with fewer requests in flight wins. Weights bias the comparison the way Envoy's
/// active_request_bias of 1 does: in-flight (plus one) divided by weight.
/// </summary>
internal sealed class LeastRequestPicker(EndpointState[] healthy, uint[] weights) : EndpointPicker(healthy, weights)
{
    public override EndpointState? Pick()
    {
        var healthy = Healthy;
        switch (healthy.Length)
        {
            case 0:
                return null;
            case 1:
                return healthy[0];
        }
        var first = Random.Shared.Next(healthy.Length);
        // A second index distinct from the first, still uniform over the others.
        var second = Random.Shared.Next(healthy.Length - 1);
        if (second >= first)
        {
            second++;
        }
        var weights = Weights;
        var a = healthy[first];
        var b = healthy[second];
        // (a.InFlight + 1) / weight(a) <= (b.InFlight + 1) / weight(b), without division.
        return (a.InFlight + 1) * weights[second] <= (b.InFlight + 1) * weights[first] ? a : b;
    }
}
