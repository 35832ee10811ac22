using System.CommandLine;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton envoy bootstrap …`: helpers for running Envoy as a Baton data plane.</summary>
public static class EnvoyCommand
{
    public static Command Create()
    {
        // The bootstrap command parses its own flags (EnvoyBootstrapCommand.Parse), so the tokens
        // after `bootstrap` pass through untouched and its usage errors keep their exact wording.
        var bootstrap = new Command("bootstrap", "Print an Envoy bootstrap (YAML) pointing Envoy at this Baton server over ADS, with load reporting.\n" + EnvoyBootstrapCommand.Usage)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        bootstrap.SetAction(parseResult => EnvoyBootstrapCommand.Run(parseResult.UnmatchedTokens, Console.Out, Console.Error));
        return new Command("envoy", "Envoy data-plane helpers.") { bootstrap };
    }
}
