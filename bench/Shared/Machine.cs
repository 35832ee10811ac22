using System.Diagnostics;
using System.Globalization;

namespace Baton.Bench.Shared;

/// <summary>The machine a run was measured on, as the report states it.</summary>
internal sealed record Machine(int Cores, double MemoryGiB, string CpuModel, string Kernel, string DotNet, string Node, string LoadAverage)
{
    public static Machine Describe()
    {
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        return new Machine(
            Environment.ProcessorCount,
            double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024,
            model,
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Environment.Version.ToString(),
            NodeVersion(),
            // The machine is shared: the 1/5/15-minute load says how quiet it was.
            string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]));
    }

    private static string NodeVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start node");
        var version = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return version;
    }
}
