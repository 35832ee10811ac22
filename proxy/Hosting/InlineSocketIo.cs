namespace Baton.Proxy.Hosting;

/// <summary>
/// Whether the process runs socket completions on the runtime's epoll threads ("inline") instead of
/// handing each one to the thread pool, and so whether the proxy's listeners may run requests there too.
/// </summary>
/// <remarks>
/// By default every socket event is queued to a thread-pool worker, and Kestrel queues the request
/// once more to its own I/O queue: a request through the proxy wakes four or five threads. On a
/// quiet host each wake-up of a sleeping thread costs tens to hundreds of microseconds (most on
/// virtual machines), which is the bulk of the proxy's latency at moderate rates. Inline, a request
/// runs from the epoll thread that saw its bytes to the write upstream, and the answer from the epoll
/// thread that saw the app's reply to the write downstream: two wake-ups, the least any user-space
/// proxy needs. The price is that nothing may block on those threads; the data path never does, and
/// the xDS client moves config work off them (<see cref="Xds.AdsClient"/>).
///
/// The runtime reads its switch, the environment variable <see cref="Variable"/>, once, when the
/// first socket is created, and offers no API for it. The standalone `baton-proxy` sets it on its
/// first line unless the operator chose a value; `baton-agent --proxy` leaves the agent's default
/// (thread pool), because the agent's own supervision work runs on the same threads.
/// </remarks>
public static class InlineSocketIo
{
    /// <summary>The runtime's switch (System.Net.Sockets on Unix); "1" turns inline completions on.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when socket completions in this process run on the epoll threads.</summary>
    public static bool Enabled => !OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>
    /// Turns inline completions on for this process unless <see cref="Variable"/> is already set (an
    /// explicit "0" keeps the thread pool). Must run before the process creates its first socket.
    /// </summary>
    public static void PreferForThisProcess()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
