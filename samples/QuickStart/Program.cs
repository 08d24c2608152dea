// Quick start: fine-tune a pretrained text model into a sentiment classifier with Delta-LoRA, then evaluate it, save it,
// load it back and predict, all with ML.NET's usual calls.
//
//   dotnet run --project samples/QuickStart -c Release -- [--model minilm] [--train FILE] [--test FILE]
//                                                           [--max-rows 2000] [--epochs 2] [--max-tokens 128]
//                                                           [--output quickstart-model.zip]
//
// --model: a model name (minilm, arctic-xs, use-lite; fetch it once with build/fetch-model.sh NAME) or a local Hugging Face
//          model folder (config.json, weights and tokenizer files).
// --train, --test: tab-separated files with a header row, the text in the first column and the label in the second, like
//          GLUE SST-2 (the defaults, read from ../shared when you run from the repository root).
// --max-rows: training rows read; --max-tokens: longest input in tokens (longer texts are cut), at most the model's limit.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;

string modelName = Arg("--model", "minilm");
string trainFile = Arg("--train", "../shared/data/glue/sst2/train.tsv");
string testFile = Arg("--test", "../shared/data/glue/sst2/dev.tsv");
int maxRows = int.Parse(Arg("--max-rows", "2000"));
int epochs = int.Parse(Arg("--epochs", "2"));
int maxTokens = int.Parse(Arg("--max-tokens", "128"));
string outputFile = Arg("--output", "quickstart-model.zip");

var ml = new MLContext(seed: 1);

// 1. Load the data. GLUE files are not CSV-quoted (a sentence may hold a stray quote), hence allowQuoting: false.
var loader = ml.Data.CreateTextLoader<Review>(separatorChar: '\t', hasHeader: true, allowQuoting: false);
var trainData = ml.Data.TakeRows(loader.Load(trainFile), maxRows);
var testData = loader.Load(testFile);

// 2. The pipeline: labels become keys (classes), the trainer fine-tunes the model on the text, and the predicted key goes
//    back to the label's own value. The other options (rank, λ, learning rate, ...) keep their defaults.
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
    {
        ModelPath = modelName,
        Sentence1ColumnName = nameof(Review.Text),
        Epochs = epochs,
        MaxSequenceLength = maxTokens,
        Progress = new PrintEveryTenthStep(),
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

Console.WriteLine($"Fine-tuning {modelName} on at most {maxRows} rows of {trainFile} for {epochs} epoch(s)...");
var model = pipeline.Fit(trainData);

// 3. Evaluate on the test rows.
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testData));
Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:0.0000}");
Console.WriteLine($"Test log-loss: {metrics.LogLoss:0.0000}");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

// 4. Save the model with the schema of its input, then load it as another app would.
ml.Model.Save(model, trainData.Schema, outputFile);
Console.WriteLine($"Saved the model to {Path.GetFullPath(outputFile)}");
var loaded = new MLContext().Model.Load(outputFile, out _);

// 5. Predict single texts with the loaded model.
var engine = ml.Model.CreatePredictionEngine<Review, Prediction>(loaded);
foreach (var text in new[] { "a gorgeous, witty and moving film", "tedious, flat and far too long" })
{
    var prediction = engine.Predict(new Review { Text = text });
    Console.WriteLine($"Prediction: '{text}' -> {prediction.PredictedLabel} (probability {prediction.Score.Max():0.000})");
}

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

/// <summary>A row of the data files: the text, then the label (0 negative, 1 positive in SST-2).</summary>
public sealed class Review
{
    [LoadColumn(0)] public string Text { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

/// <summary>What the model adds: the predicted label and the probability of each class.</summary>
public sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>Prints the trainer's progress report (loss, learning rate, speed) every tenth optimizer step.</summary>
sealed class PrintEveryTenthStep : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress progress)
    {
        if (progress.Step % 10 == 0) Console.WriteLine($"  {progress}");
    }
}
