using System.CommandLine;
using DeltaLoRA.Cli.Training;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Cli.Commands;

/// <summary><c>deltalora train</c>: fine-tune a pretrained model on a data file (or, without --dataset, the SpamAssassin demo).</summary>
public static class TrainCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Training data (.tsv or .csv). Default: the SpamAssassin demo corpus (build/fetch-dataset.sh).", HelpName = "file" };
        var validation = new Option<string?>("--validation-dataset") { Description = "Data evaluated after each epoch (accuracy, or -MSE for regression); enables --early-stopping.", HelpName = "file" };
        var test = new Option<string?>("--test-dataset") { Description = "Data for the final metrics. Default: a held-out share of --dataset (--test-fraction).", HelpName = "file" };
        var testFraction = new Option<double>("--test-fraction") { Description = "Share of --dataset held out for testing when no --test-dataset is given.", DefaultValueFactory = _ => 0.2 };
        var data = new DataOptions();
        var task = new Option<TaskKind>("--task") { Description = "classification (labels are classes, text or numbers) or regression (numeric labels).", DefaultValueFactory = _ => TaskKind.Classification };
        var model = new Option<string?>("--model", "-m") { Description = "Pretrained model: a name (minilm, arctic-xs, use-lite; build/fetch-model.sh NAME) or a folder, Hugging Face (config.json or model.onnx, weights, tokenizer) or USE-Lite. Default: USE-Lite.", HelpName = "name|folder" };
        var pooling = new Option<SentencePooling?>("--pooling") { Description = "How a BERT head reads the tokens: pooler, clstoken or meanoftokens. Default: the model's own (minilm mean, arctic-xs [CLS], other BERTs the pooler)." };
        var method = new Option<FineTuningMethod>("--method") { Description = "deltalora, lora or full (fine-tuning of every weight).", DefaultValueFactory = _ => FineTuningMethod.DeltaLoRA };
        var rank = new Option<int?>("--rank", "-r") { Description = "Adapter rank r. Default 8." };
        var alpha = new Option<double?>("--alpha") { Description = "Adapter scale alpha (the branch is scaled by alpha/r). Default 2·rank." };
        var updateRatio = new Option<double?>("--update-ratio") { Description = "Delta-LoRA's lambda: share of the adapters' change per step added to W. Default 0.5." };
        var startSteps = new Option<int?>("--start-steps") { Description = "Delta-LoRA's K: W moves only after step K. Default: the warmup steps." };
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Passes over the training rows. Default 3 (2 for the demo)." };
        var learningRate = new Option<double?>("--learning-rate", "--lr") { Description = "Peak learning rate (linear warmup and decay). Default 5e-4; 3e-3 for USE-Lite." };
        var batchSize = new Option<int?>("--batch-size", "-b") { Description = "Rows per optimizer step. Default 16." };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest input in tokens; longer texts are truncated. Default 128." };
        var maxRows = new Option<int?>("--max-rows") { Description = "Train on at most this many rows, drawn at random with --seed. Default: all (2000 for the demo)." };
        var earlyStopping = new Option<int>("--early-stopping") { Description = "Stop after this many epochs without a better validation metric (keeps the best weights); 0 never stops early." };
        var seed = new Option<int>("--seed") { Description = "Seeds the split, the subsample, the adapters and the batch order.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out", "-o") { Description = "The model zip to write; the loss curve goes beside it (<name>.loss.csv and <name>.loss.png). Default: model.zip (artifacts/demo/model.zip for the demo).", HelpName = "file" };
        var examples = new Option<int>("--examples") { Description = "Test rows to predict with the reloaded model and show.", DefaultValueFactory = _ => 6 };
        var json = new Option<bool>("--json") { Description = "Print a final JSON line with the metrics and output paths on standard output (the report goes to standard error)." };

        var command = new Command("train", "Fine-tune a pretrained text model, evaluate it, save it, reload it and predict a few test rows.")
        {
            dataset, validation, test, testFraction,
        };
        data.AddTo(command);
        foreach (var option in new Option[] { task, model, pooling, method, rank, alpha, updateRatio, startSteps, epochs, learningRate, batchSize, maxLength, maxRows, earlyStopping, seed, output, examples, json })
            command.Add(option);

        command.SetAction(result => new TrainingJob(terminal, new TrainSettings
        {
            Dataset = result.GetValue(dataset),
            ValidationDataset = result.GetValue(validation),
            TestDataset = result.GetValue(test),
            TestFraction = result.GetValue(testFraction),
            Columns = data.Columns(result),
            HasHeader = result.GetValue(data.HasHeader),
            Separator = result.GetValue(data.Separator),
            Task = result.GetValue(task),
            ModelPath = result.GetValue(model),
            Pooling = result.GetValue(pooling),
            Method = result.GetValue(method),
            Rank = result.GetValue(rank),
            Alpha = result.GetValue(alpha),
            UpdateRatio = result.GetValue(updateRatio),
            StartSteps = result.GetValue(startSteps),
            Epochs = result.GetValue(epochs),
            LearningRate = result.GetValue(learningRate),
            BatchSize = result.GetValue(batchSize),
            MaxLength = result.GetValue(maxLength),
            MaxRows = result.GetValue(maxRows),
            EarlyStoppingPatience = result.GetValue(earlyStopping),
            Seed = result.GetValue(seed),
            Out = result.GetValue(output) ?? (result.GetValue(dataset) is null ? TrainSettings.DemoOut : TrainSettings.DefaultOut),
            Examples = result.GetValue(examples),
            Json = result.GetValue(json),
            Verbose = result.GetValue<bool>("--verbose"),
        }).Run());
        return command;
    }
}
