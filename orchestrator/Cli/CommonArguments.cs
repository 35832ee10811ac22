using System.CommandLine;

namespace Baton.Orchestrator.Cli;

/// <summary>Arguments and options several commands share; each call makes a fresh instance, as a symbol belongs to one command.</summary>
public static class CommonArguments
{
    public static Argument<string> App(string description = "The app's name") => new("app") { Description = description };

    public static Argument<string?> OptionalApp(string description) => new("app")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the reply as JSON (the proto's JSON mapping) and nothing else" };
}
