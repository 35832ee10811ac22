namespace Baton.Proxy.Configuration;

/// <summary>
/// The HttpConnectionManager settings that decide what a listener tells the app about its client,
/// through <c>x-forwarded-for</c> and <c>x-forwarded-proto</c>.
/// </summary>
/// <param name="UseRemoteAddress">
/// use_remote_address: the listener is the edge, so the connection's peer is the client. The peer is
/// appended to x-forwarded-for, and x-forwarded-proto is the listener's own scheme unless a trusted hop set it.
/// When false the listener is behind another proxy: x-forwarded-for passes through untouched.
/// </param>
/// <param name="XffNumTrustedHops">xff_num_trusted_hops: with use_remote_address, a non-zero count trusts the x-forwarded-proto the previous hop sent.</param>
/// <param name="SkipXffAppend">skip_xff_append: never append to x-forwarded-for, even with use_remote_address.</param>
public sealed record ForwardedHeadersConfig(bool UseRemoteAddress, uint XffNumTrustedHops, bool SkipXffAppend)
{
    /// <summary>What a connection manager that sets none of the three gets (Envoy's defaults).</summary>
    public static ForwardedHeadersConfig EnvoyDefault { get; } = new(UseRemoteAddress: false, XffNumTrustedHops: 0, SkipXffAppend: false);
}
