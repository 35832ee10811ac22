using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Baton.Protos.Tests.Conformance;

/// <summary>
/// Upstream's view of the types Baton declares, produced by tests/conformance/dump-upstream.js
/// from the Envoy .proto files that the pinned @grpc/grpc-js-xds package ships.
/// </summary>
internal static class UpstreamDump
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static JsonObject Load(IReadOnlyList<FileDescriptor> files)
    {
        EnsureInstalled();

        var request = new JsonObject
        {
            ["files"] = new JsonArray(files.Select(f => (JsonNode)f.Name).ToArray()),
            ["types"] = new JsonArray(TypeNames(files).Select(n => (JsonNode)n).ToArray()),
        };

        var (exitCode, stdout, stderr) = RunNode(request.ToJsonString());
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"dump-upstream.js exited with {exitCode}:\n{stderr}");
        }

        return JsonNode.Parse(stdout)?.AsObject()
            ?? throw new InvalidOperationException($"dump-upstream.js printed no JSON. stderr:\n{stderr}");
    }

    public static IEnumerable<string> TypeNames(IEnumerable<FileDescriptor> files) =>
        files.SelectMany(f =>
            BatonDescriptors.Messages(f).Select(m => m.FullName)
                .Concat(BatonDescriptors.Enums(f).Select(e => e.FullName))
                .Concat(f.Services.Select(s => s.FullName)));

    private static void EnsureInstalled()
    {
        var modules = Path.Combine(RepoPaths.Conformance, "node_modules");
        foreach (var package in new[] { Path.Combine("@grpc", "grpc-js-xds"), "protobufjs" })
        {
            if (!Directory.Exists(Path.Combine(modules, package)))
            {
                throw new InvalidOperationException(
                    $"{Path.Combine(modules, package)} is missing: run `npm ci` in {RepoPaths.Conformance} " +
                    "(the Cake Restore task does this for every tests/ folder with a package-lock.json).");
            }
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) RunNode(string stdin)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.Conformance,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Conformance, "dump-upstream.js"));

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not run `node` (is Node.js 20+ on PATH?): {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();

            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"dump-upstream.js did not finish within {Timeout.TotalSeconds} s.");
            }

            process.WaitForExit(); // flushes the redirected streams
            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    public static JsonObject DeepClone(JsonObject dump) =>
        JsonNode.Parse(dump.ToJsonString(new JsonSerializerOptions()))!.AsObject();
}

/// <summary>Runs node once per test class; a failure is rethrown by every test that asks.</summary>
public sealed class UpstreamDumpFixture
{
    private readonly Lazy<JsonObject> _dump = new(() => UpstreamDump.Load(BatonDescriptors.UpstreamCopies));

    public JsonObject Dump => _dump.Value;
}
