using Grpc.Core;

namespace Baton.Agent.Releases;

/// <summary>The gRPC statuses the release store answers with, so every call site reads as the rule it enforces.</summary>
internal static class ReleaseErrors
{
    public static RpcException InvalidArgument(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
    public static RpcException NotFound(string detail) => new(new Status(StatusCode.NotFound, detail));
    public static RpcException AlreadyExists(string detail) => new(new Status(StatusCode.AlreadyExists, detail));
    public static RpcException FailedPrecondition(string detail) => new(new Status(StatusCode.FailedPrecondition, detail));
    public static RpcException DataLoss(string detail) => new(new Status(StatusCode.DataLoss, detail));

    /// <summary>Network-supplied text shown in a message: bounded, one line, no control characters.</summary>
    public static string Quote(string? value)
    {
        if (value is null) return "nothing";
        var shown = value.Length > 120 ? value[..120] + "…" : value;
        return "\"" + string.Create(shown.Length, shown, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++) span[i] = char.IsControl(source[i]) ? '?' : source[i];
        }) + "\"";
    }
}
