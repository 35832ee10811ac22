using System.CommandLine;
using Baton.Orchestrator.Cli.Rendering;
using Baton.Protos.Orchestrator.V1;
using Spectre.Console;

namespace Baton.Orchestrator.Cli;

/// <summary>`baton plan APP --version V`: what a deploy would do, without doing it.</summary>
public static class PlanCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var appArgument = CommonArguments.App();
        var versionOption = new Option<string>("--version") { Description = "The release to plan", HelpName = "V", Required = true };
        var jsonOption = CommonArguments.Json();
        var command = new Command("plan", "Show what a deploy would do (targets, instances, steps) without doing it") { appArgument, versionOption, jsonOption };

        ClientCommand.SetAction(command, environment, async (session, parseResult, cancellationToken) =>
        {
            var plan = await session.Client.PlanDeployAsync(
                new DeployRequest { App = parseResult.GetRequiredValue(appArgument), Version = parseResult.GetRequiredValue(versionOption) },
                cancellationToken: cancellationToken);
            if (parseResult.GetValue(jsonOption)) return await JsonOutput.WriteAsync(session, plan);

            var console = session.Console;
            var from = plan.FromVersion.Length > 0 ? plan.FromVersion : "(nothing)";
            console.WriteLine($"plan for {plan.App}: {from} → {plan.ToVersion}");
            var instances = Tables.Create().AddColumns("agent", "instance");
            foreach (var i in plan.Instances) instances.AddRow(Markup.Escape(i.Agent), Markup.Escape(i.InstanceId));
            console.Write(instances);
            console.WriteLine("steps: " + (plan.Steps.Count == 0 ? "straight to 100 %" : string.Join(" → ", plan.Steps.Select(Step))));
            foreach (var note in plan.Notes) console.WriteLine("note: " + note);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string Step(StepSpec step) =>
        step.ManualGate ? $"{step.Weight} % (wait for resume)"
        : step.PauseMs > 0 ? $"{step.Weight} % ({Format.Number(step.PauseMs / 1000.0)} s)"
        : $"{step.Weight} %";
}
