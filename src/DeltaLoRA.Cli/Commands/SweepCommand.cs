using System.CommandLine;
using DeltaLoRA.Cli.Sweeping;

namespace DeltaLoRA.Cli.Commands;

/// <summary><c>deltalora sweep</c>: search learning rate, rank, λ, K, epochs and method on validation data within a budget; save the best model.</summary>
internal static class SweepCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var inputs = new TrainingInputOptions();
        var maxSeconds = new Option<double?>("--max-seconds") { Description = "Time budget; the trial in flight stops within one optimizer step when it runs out." };
        var maxTrials = new Option<int?>("--max-trials") { Description = "The most trials (fits) to run, promotions to larger budgets included." };
        var output = new Option<string?>("--out", "-o") { Description = $"The best model's zip (for evaluate and predict); <name>.trials.csv and <name>.trials.png go beside it. Default: {SweepSettings.DefaultOut}.", HelpName = "file" };
        var json = new Option<bool>("--json") { Description = "Print a final JSON line with the best trial's options and metrics on standard output (the report goes to standard error)." };

        var command = new Command("sweep", "Search the learning rate, rank, lambda, K, epochs and method (successive halving on validation data) and save the best model.");
        inputs.AddTo(command);
        foreach (var option in new Option[] { maxSeconds, maxTrials, output, json }) command.Add(option);
        command.SetAction(result => new SweepJob(terminal, new SweepSettings(inputs.Settings(result), result.GetValue(maxSeconds), result.GetValue(maxTrials),
            result.GetValue(output) ?? SweepSettings.DefaultOut, result.GetValue(json))).Run());
        return command;
    }
}
