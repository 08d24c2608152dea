using System.CommandLine;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Commands;

/// <summary><c>deltalora train</c>: fine-tune a pretrained model on a data file (or, without --dataset, the SpamAssassin demo).</summary>
internal static class TrainCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var inputs = new TrainingInputOptions();
        var method = new Option<FineTuningMethod>("--method") { Description = "deltalora, lora or full (fine-tuning of every weight).", DefaultValueFactory = _ => FineTuningMethod.DeltaLoRA };
        var rank = new Option<int?>("--rank", "-r") { Description = "Adapter rank r. Default 8." };
        var alpha = new Option<double?>("--alpha") { Description = "Adapter scale alpha (the branch is scaled by alpha/r). Default 2·rank." };
        var updateRatio = new Option<double?>("--update-ratio") { Description = "Delta-LoRA's lambda: share of the adapters' change per step added to W. Default 0.5." };
        var startSteps = new Option<int?>("--start-steps") { Description = "Delta-LoRA's K: W moves only after step K. Default: the warmup steps." };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Passes over the training rows. Default 3 (2 for the demo)." };
        var learningRate = new Option<double?>("--learning-rate", "--lr") { Description = "Peak learning rate (linear warmup and decay). Default 5e-4; 3e-3 for USE-Lite." };
        var earlyStopping = new Option<int>("--early-stopping") { Description = "Stop after this many epochs without a better validation metric (keeps the best weights); 0 never stops early." };
        var output = new Option<string?>("--out", "-o") { Description = "The model zip to write; the loss curve goes beside it (<name>.loss.csv and <name>.loss.png). Default: model.zip (artifacts/demo/model.zip for the demo).", HelpName = "file" };
        var examples = new Option<int>("--examples") { Description = "Test rows to predict with the reloaded model and show.", DefaultValueFactory = _ => 6 };
        var save = new Option<ModelSaveMode>("--save")
        {
            Description = "full (the default: the whole network, loads anywhere) or compact (the base model by name or folder and SHA-256, plus the low-rank delta and the head; loading needs the same base). Full fine-tuning always saves in full.",
            DefaultValueFactory = _ => ModelSaveMode.Full,
            HelpName = "full|compact",
        };
        var json = new Option<bool>("--json") { Description = "Print a final JSON line with the metrics and output paths on standard output (the report goes to standard error)." };

        var command = new Command("train", "Fine-tune a pretrained text model, evaluate it, save it, reload it and predict a few test rows.");
        inputs.AddTo(command, method, rank, alpha, updateRatio, startSteps, epochs, learningRate);
        foreach (var option in new Option[] { earlyStopping, output, save, examples, json }) command.Add(option);

        command.SetAction(result => new TrainingJob(terminal, inputs.Settings(result) with
        {
            Method = result.GetValue(method),
            Rank = result.GetValue(rank),
            Alpha = result.GetValue(alpha),
            UpdateRatio = result.GetValue(updateRatio),
            StartSteps = result.GetValue(startSteps),
            Epochs = result.GetValue(epochs),
            LearningRate = result.GetValue(learningRate),
            EarlyStoppingPatience = result.GetValue(earlyStopping),
            Save = result.GetValue(save),
            Out = result.GetValue(output) ?? (result.GetValue(inputs.Dataset) is null ? TrainSettings.DemoOut : TrainSettings.DefaultOut),
            Examples = result.GetValue(examples),
            Json = result.GetValue(json),
        }).Run());
        return command;
    }
}
