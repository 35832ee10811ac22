namespace Baton.Proxy.Forwarding;

/// <summary>
/// Weighted round robin. The order is computed once per config with the smooth weighted round-robin
/// walk (weights 5,1,1 give a a b a c a a, not a a a a a b c), so a request only increments a counter.
/// </summary>
internal sealed class RoundRobinPicker : EndpointPicker
{
    // Caps the precomputed order; larger weight sums are scaled down to it, keeping every endpoint at least once.
    private const int MaxScheduleLength = 1024;

    private readonly EndpointState[] _schedule;
    private int _next;

    public RoundRobinPicker(EndpointState[] healthy, uint[] weights)
        : base(healthy, weights)
    {
        _schedule = BuildSchedule(healthy, weights);
        // Envoy starts each new load balancer at a random position, so many proxies updated at once
        // do not all send their next request to the same first endpoint.
        _next = _schedule.Length == 0 ? 0 : Random.Shared.Next(_schedule.Length);
    }

    public override EndpointState? Pick()
    {
        var schedule = _schedule;
        if (schedule.Length == 0)
        {
            return null;
        }
        var turn = (uint)Interlocked.Increment(ref _next);
        return schedule[turn % (uint)schedule.Length];
    }

    private static EndpointState[] BuildSchedule(EndpointState[] healthy, uint[] configured)
    {
        if (healthy.Length <= 1 || AllEqual(configured))
        {
            return healthy;
        }
        var weights = Scaled(configured);
        long total = 0;
        foreach (var weight in weights)
        {
            total += weight;
        }
        var schedule = new EndpointState[total];
        var current = new long[healthy.Length];
        for (var slot = 0; slot < schedule.Length; slot++)
        {
            var best = 0;
            for (var i = 0; i < healthy.Length; i++)
            {
                current[i] += weights[i];
                if (current[i] > current[best])
                {
                    best = i;
                }
            }
            current[best] -= total;
            schedule[slot] = healthy[best];
        }
        return schedule;
    }

    private static bool AllEqual(uint[] weights)
    {
        foreach (var weight in weights)
        {
            if (weight != weights[0])
            {
                return false;
            }
        }
        return true;
    }

    private static long[] Scaled(uint[] configured)
    {
        ulong gcd = 0;
        ulong sum = 0;
        foreach (var weight in configured)
        {
            gcd = Gcd(gcd, weight);
            sum += weight;
        }
        var reducedSum = sum / gcd;
        var weights = new long[configured.Length];
        for (var i = 0; i < configured.Length; i++)
        {
            var reduced = configured[i] / gcd;
            weights[i] = reducedSum <= MaxScheduleLength
                ? (long)reduced
                : Math.Max(1, (long)(reduced * (double)MaxScheduleLength / reducedSum));
        }
        return weights;
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return a;
    }
}
