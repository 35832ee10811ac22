using Baton.Orchestrator.AppSpecs;
using Grpc.Core;

namespace Baton.Orchestrator.Tests.AppSpecs;

/// <summary>Builds specs line by line (so a test states the line numbers it expects) and collects the errors they cause.</summary>
internal static class SpecYaml
{
    /// <summary>Lines 1-4 of every spec built with <see cref="With"/>; the lines a test adds start at line 5.</summary>
    public static readonly string[] Base = ["name: web", "command: node", "routing:", "  public_port: 8080"];

    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";

    public static string With(params string[] extra) => Lines([.. Base, .. extra]);

    /// <summary>Every error the spec causes, one per line, as the API would report them.</summary>
    public static string[] Errors(string yaml, string source = "web.yaml")
    {
        var error = Assert.Throws<RpcException>(() => AppSpecLoader.Load(yaml, source));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        return error.Status.Detail.Split('\n');
    }

    /// <summary>The one error the spec causes.</summary>
    public static string Error(string yaml) => Assert.Single(Errors(yaml));
}
