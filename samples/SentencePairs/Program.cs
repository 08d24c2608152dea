// Sentence pairs: fine-tune a classifier that reads two texts at once, here "is the second sentence a paraphrase of the
// first?" (Microsoft Research Paraphrase Corpus, MRPC). The same code fits entailment (RTE) or question pairs: only the
// columns change.
//
//   dotnet run --project samples/SentencePairs -c Release -- [--model minilm] [--train FILE] [--test FILE]
//                                                              [--max-rows 2000] [--epochs 2] [--max-tokens 128]
//                                                              [--output pairs-model.zip]
//
// --model: a model name (minilm, arctic-xs, use-lite; fetch it once with build/fetch-model.sh NAME) or a local Hugging Face
//          model folder.
// --train, --test: tab-separated files with a header row laid out like GLUE MRPC: label (0 or 1), two ids, sentence 1,
//          sentence 2 (the defaults, read from ../shared when you run from the repository root).
// --max-rows: training pairs read; --max-tokens: longest pair in tokens (longer pairs are cut), at most the model's limit.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.Transforms;

string modelName = Arg("--model", "minilm");
string trainFile = Arg("--train", "../shared/data/glue/mrpc/train.tsv");
string testFile = Arg("--test", "../shared/data/glue/mrpc/dev.tsv");
int maxRows = int.Parse(Arg("--max-rows", "2000"));
int epochs = int.Parse(Arg("--epochs", "2"));
int maxTokens = int.Parse(Arg("--max-tokens", "128"));
string outputFile = Arg("--output", "pairs-model.zip");

var ml = new MLContext(seed: 1);
var loader = ml.Data.CreateTextLoader<SentencePair>(separatorChar: '\t', hasHeader: true, allowQuoting: false);
var trainData = ml.Data.TakeRows(loader.Load(trainFile), maxRows);
var testData = loader.Load(testFile);

// The trainer reads both text columns as one input ("[CLS] sentence 1 [SEP] sentence 2 [SEP]" for a BERT model), which
// lets attention compare the two sentences word by word. The label's keys go to a column of their own, so that the text
// label stays readable beside the prediction; ordered by value, class "1" (paraphrase) is the second key.
var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
    .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(new DeltaLoRAOptions
    {
        ModelPath = modelName,
        LabelColumnName = "LabelKey",
        Sentence1ColumnName = nameof(SentencePair.Sentence1),
        Sentence2ColumnName = nameof(SentencePair.Sentence2),
        Epochs = epochs,
        MaxSequenceLength = maxTokens,
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

Console.WriteLine($"Fine-tuning {modelName} on at most {maxRows} sentence pairs of {trainFile} for {epochs} epoch(s)...");
var model = pipeline.Fit(trainData);
ml.Model.Save(model, trainData.Schema, outputFile);
Console.WriteLine($"Saved the model to {Path.GetFullPath(outputFile)}");

// MRPC is scored by accuracy and by the F1 score of the paraphrase class (class 1), since two thirds of its pairs are
// paraphrases and accuracy alone flatters a model that always says "paraphrase".
var scored = ml.Data.Cache(model.Transform(testData));
var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "LabelKey");
double precision = metrics.ConfusionMatrix.PerClassPrecision[1], recall = metrics.ConfusionMatrix.PerClassRecall[1];
Console.WriteLine($"Test accuracy: {metrics.MicroAccuracy:0.0000}");
Console.WriteLine($"Test F1 of class 1: {(precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0):0.0000}");
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

foreach (var pair in ml.Data.CreateEnumerable<ScoredPair>(scored, reuseRowObject: false).Take(5))
{
    Console.WriteLine($"'{pair.Sentence1}'\n  vs '{pair.Sentence2}'");
    Console.WriteLine($"  predicted {pair.PredictedLabel}, true {pair.Label}");
}

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

/// <summary>A row of an MRPC-shaped file; columns 1 and 2 (the sentence ids) are not read.</summary>
public class SentencePair
{
    [LoadColumn(0)] public string Label { get; set; } = "";
    [LoadColumn(3)] public string Sentence1 { get; set; } = "";
    [LoadColumn(4)] public string Sentence2 { get; set; } = "";
}

/// <summary>A test row with the model's answer.</summary>
public sealed class ScoredPair : SentencePair
{
    public string PredictedLabel { get; set; } = "";
}
