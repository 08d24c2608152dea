// Sweep: let the library search the hyper-parameters (method, learning rate, rank, λ, K, epochs) of a sentiment classifier
// on held-out data, then check the best model on test data and save it. Configurations are drawn quasi-randomly and trained
// by successive halving: every configuration gets a small budget, and only the best go on to larger ones.
//
//   dotnet run --project samples/Sweep -c Release -- [--model minilm] [--train FILE] [--test FILE] [--max-rows 1000]
//                                                      [--trials 9] [--epochs 2] [--minutes 30] [--max-tokens 128]
//                                                      [--output sweep-model.zip]
//
// --model: a model name (minilm, arctic-xs, use-lite; fetch it once with build/fetch-model.sh NAME) or a local Hugging Face
//          model folder.
// --train, --test: tab-separated files with a header row, the text in the first column and the label in the second, like
//          GLUE SST-2 (the defaults, read from ../shared when you run from the repository root).
// --trials, --minutes: the sweep stops at whichever comes first. --epochs: the most epochs a configuration may train.
// --max-rows: training rows read; --max-tokens: longest input in tokens (longer texts are cut), at most the model's limit.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Sweeping;

string modelName = Arg("--model", "minilm");
string trainFile = Arg("--train", "../shared/data/glue/sst2/train.tsv");
string testFile = Arg("--test", "../shared/data/glue/sst2/dev.tsv");
int maxRows = int.Parse(Arg("--max-rows", "1000"));
int trials = int.Parse(Arg("--trials", "9"));
int maxEpochs = int.Parse(Arg("--epochs", "2"));
int maxTokens = int.Parse(Arg("--max-tokens", "128"));
double minutes = double.Parse(Arg("--minutes", "30"));
string outputFile = Arg("--output", "sweep-model.zip");

var ml = new MLContext(seed: 1);
var loader = ml.Data.CreateTextLoader<Review>(separatorChar: '\t', hasHeader: true, allowQuoting: false);
var trainData = ml.Data.TakeRows(loader.Load(trainFile), maxRows);
var testData = loader.Load(testFile);

// The sweep fits the trainer alone, so the data it reads already has key-typed labels: fit that mapping first.
var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainData);

// Start from the model's own search space and narrow it: no full fine-tuning, and at most --epochs epochs.
var searchSpace = DeltaLoRASearchSpace.ForModel(modelName);
searchSpace.Methods = [FineTuningMethod.DeltaLoRA, FineTuningMethod.LoRA];
searchSpace.Epochs = new IntegerRange(1, maxEpochs);

// Every trial copies these options and sets the swept ones; a fifth of the training rows is held out to compare trials.
var baseOptions = new DeltaLoRAOptions { ModelPath = modelName, Sentence1ColumnName = nameof(Review.Text), MaxSequenceLength = maxTokens };
var experiment = new DeltaLoRAExperiment(ml, baseOptions)
    .SetSearchSpace(searchSpace)
    .SetMetric(SweepMetric.MicroAccuracy)
    .SetValidationFraction(0.2)
    .SetMaxTrials(trials)
    .SetMaxSeconds(minutes * 60)
    .SetSeed(1)
    .SetProgress(new PrintEndedTrials());

Console.WriteLine($"Sweeping {modelName} on at most {maxRows} rows of {trainFile}: up to {trials} trials in {minutes} minutes...");
using var result = experiment.Run(labelToKey.Transform(trainData));

// The best trial; result.BestOptions are the options it was fitted with (seed included), so that
// Trainers.DeltaLoRA(result.BestOptions) fits it again, for example on all the training rows once the sweep has chosen.
var best = result.BestTrial;
Console.WriteLine($"Best: trial {best.Number}, {best.Configuration}, validation accuracy {best.Metric:0.0000}, of {result.Trials.Count} trials in {result.Elapsed.TotalSeconds:0} s");

// The best model is the trainer alone: put the label mapping before it, as the sweep's data had, and the mapping of the
// predicted key back to the label's value after it, to score and save it like any ML.NET model.
var scoring = labelToKey.Append(result.BestModel);
var model = scoring.Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scoring.Transform(trainData)));
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testData));
Console.WriteLine($"Test accuracy of the best model: {metrics.MicroAccuracy:0.0000}");
ml.Model.Save(model, trainData.Schema, outputFile);
Console.WriteLine($"Saved the best model to {Path.GetFullPath(outputFile)}");

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

/// <summary>A row of the data files: the text, then the label.</summary>
public sealed class Review
{
    [LoadColumn(0)] public string Text { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

/// <summary>Prints each trial when it ends: its budget (rung, optimizer steps), configuration and validation accuracy.</summary>
sealed class PrintEndedTrials : IProgress<SweepProgress>
{
    public void Report(SweepProgress progress)
    {
        var trial = progress.Trial;
        if (progress.Step is not null || trial.Status == SweepTrialStatus.Running) return;
        var outcome = trial.Status == SweepTrialStatus.Completed ? $"accuracy {trial.Metric:0.0000}" : $"{trial.Status}: {trial.FailureReason}";
        Console.WriteLine($"Trial {trial.Number}: rung {trial.Rung}, {trial.Steps} optimizer step(s), {trial.Configuration} -> {outcome} ({trial.Seconds:0.0} s)");
    }
}
