using System.Globalization;

namespace Baton.Bench.Http;

/// <summary>Which sides run.</summary>
internal enum Sides
{
    All,
    Pm2,

    /// <summary>Only the proxy-overhead runs (no switch scenarios): for iterating on the proxy's hot path.</summary>
    ProxyOverhead,
}

/// <summary>
/// The command line:
///   dotnet run -c Release --project bench/Baton.Bench.Http -- [--baton PATH] [--agent PATH] [--proxy PATH]
///       [--only pm2|proxy-overhead] [--budget-seconds S] [--no-docs]
/// Defaults: the published programs under artifacts/publish (`dotnet cake --target=Publish`).
/// `--only pm2` runs PM2's side and the direct-to-app figures only (no Baton program needed);
/// `--only proxy-overhead` runs only the direct vs through-baton-proxy runs, and never writes the docs
/// (a partial run would replace the whole section).
/// </summary>
internal sealed record BenchOptions(string Baton, string Agent, string Proxy, Sides Sides, TimeSpan Budget, bool WriteDocs)
{
    public static BenchOptions Parse(string[] args, string repo)
    {
        var publish = Path.Combine(repo, "artifacts", "publish");
        var options = new BenchOptions(
            Path.Combine(publish, "baton", "baton"),
            Path.Combine(publish, "baton-agent", "baton-agent"),
            Path.Combine(publish, "baton-proxy", "baton-proxy"),
            Sides.All,
            TimeSpan.FromSeconds(300),
            WriteDocs: true);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--baton" => options with { Baton = Path.GetFullPath(Value()) },
                "--agent" => options with { Agent = Path.GetFullPath(Value()) },
                "--proxy" => options with { Proxy = Path.GetFullPath(Value()) },
                "--only" => Value() switch
                {
                    "pm2" => options with { Sides = Sides.Pm2 },
                    "proxy-overhead" => options with { Sides = Sides.ProxyOverhead },
                    var other => throw new ArgumentException($"--only takes pm2 or proxy-overhead, not {other}"),
                },
                "--budget-seconds" => options with { Budget = TimeSpan.FromSeconds(int.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--no-docs" => options with { WriteDocs = false },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        return options.Sides == Sides.ProxyOverhead ? options with { WriteDocs = false } : options;
    }

    /// <summary>The Baton programs this run needs that are missing (none with --only pm2).</summary>
    public IEnumerable<string> MissingPrograms() =>
        Sides == Sides.Pm2 ? [] : new[] { Baton, Agent, Proxy }.Where(p => !File.Exists(p));
}
