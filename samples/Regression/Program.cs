// Regression: fine-tune a model that scores how similar two sentences are, from 0 (unrelated) to 5 (same meaning), on the
// Semantic Textual Similarity Benchmark (STS-B). A regressor predicts a number instead of a class; one text column or two.
//
//   dotnet run --project samples/Regression -c Release -- [--model minilm] [--train FILE] [--test FILE]
//                                                           [--max-rows 2000] [--epochs 2] [--max-tokens 128]
//                                                           [--output similarity-model.zip]
//
// --model: a model name (minilm, arctic-xs, use-lite; fetch it once with build/fetch-model.sh NAME) or a local Hugging Face
//          model folder.
// --train, --test: tab-separated files with a header row laid out like GLUE STS-B: sentence 1, sentence 2 and the score in
//          columns 8, 9 and 10 (the defaults, read from ../shared when you run from the repository root).
// --max-rows: training pairs read; --max-tokens: longest pair in tokens (longer pairs are cut), at most the model's limit.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;

string modelName = Arg("--model", "minilm");
string trainFile = Arg("--train", "../shared/data/glue/stsb/train.tsv");
string testFile = Arg("--test", "../shared/data/glue/stsb/dev.tsv");
int maxRows = int.Parse(Arg("--max-rows", "2000"));
int epochs = int.Parse(Arg("--epochs", "2"));
int maxTokens = int.Parse(Arg("--max-tokens", "128"));
string outputFile = Arg("--output", "similarity-model.zip");

var ml = new MLContext(seed: 1);
var loader = ml.Data.CreateTextLoader<SimilarityPair>(separatorChar: '\t', hasHeader: true, allowQuoting: false);
var trainData = ml.Data.TakeRows(loader.Load(trainFile), maxRows);
var testData = loader.Load(testFile);

// A regression label is a Single used as it is (no MapValueToKey); the trainer fits one output with mean squared error.
var trainer = ml.Regression.Trainers.DeltaLoRA(new DeltaLoRAOptions
{
    ModelPath = modelName,
    LabelColumnName = nameof(SimilarityPair.Label),
    Sentence1ColumnName = nameof(SimilarityPair.Sentence1),
    Sentence2ColumnName = nameof(SimilarityPair.Sentence2),
    Epochs = epochs,
    MaxSequenceLength = maxTokens,
});

Console.WriteLine($"Fine-tuning {modelName} on at most {maxRows} sentence pairs of {trainFile} for {epochs} epoch(s)...");
var model = trainer.Fit(trainData);
ml.Model.Save(model, trainData.Schema, outputFile);
Console.WriteLine($"Saved the model to {Path.GetFullPath(outputFile)}");

var scored = ml.Data.Cache(model.Transform(testData));
var metrics = ml.Regression.Evaluate(scored);
Console.WriteLine($"Test R squared: {metrics.RSquared:0.0000}");
Console.WriteLine($"Test RMSE: {metrics.RootMeanSquaredError:0.0000}");
Console.WriteLine($"Test MAE: {metrics.MeanAbsoluteError:0.0000}");

// STS-B's own metric is the Pearson correlation between predicted and true scores (ML.NET's evaluator does not give it).
var rows = ml.Data.CreateEnumerable<ScoredPair>(scored, reuseRowObject: false).ToList();
Console.WriteLine($"Test Pearson correlation: {Pearson(rows.Select(r => (double)r.Score).ToArray(), rows.Select(r => (double)r.Label).ToArray()):0.0000}");
foreach (var row in rows.Take(5))
    Console.WriteLine($"'{row.Sentence1}' ~ '{row.Sentence2}'\n  predicted {row.Score:0.00}, true {row.Label:0.00}");

static double Pearson(double[] x, double[] y)
{
    double meanX = x.Average(), meanY = y.Average();
    double covariance = x.Zip(y, (a, b) => (a - meanX) * (b - meanY)).Sum();
    return covariance / Math.Sqrt(x.Sum(a => (a - meanX) * (a - meanX)) * y.Sum(b => (b - meanY) * (b - meanY)));
}

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

/// <summary>A row of an STS-B-shaped file; the first seven columns (index, genre, source file, ...) are not read.</summary>
public class SimilarityPair
{
    [LoadColumn(7)] public string Sentence1 { get; set; } = "";
    [LoadColumn(8)] public string Sentence2 { get; set; } = "";
    [LoadColumn(9)] public float Label { get; set; }
}

/// <summary>A test row with the predicted similarity.</summary>
public sealed class ScoredPair : SimilarityPair
{
    public float Score { get; set; }
}
