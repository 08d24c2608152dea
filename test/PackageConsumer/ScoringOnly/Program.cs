// Usage: ScoringOnly <model.zip> <texts file>
// Loads a Delta-LoRA model zip with MLContext.Model.Load, prints "engine: onnx-runtime" (or "engine: torchsharp"), then the
// predicted label of each line of the texts file, one per line, through a PredictionEngine, and last the TorchSharp native
// libraries this process loaded ("torch-libraries: none" when none).
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ScoringOnly <model.zip> <texts file>");
    return 2;
}

var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out var inputSchema);
var scorer = ((IEnumerable<ITransformer>)model).OfType<DeltaLoRATransformer>().Single();
Console.WriteLine($"engine: {(scorer.ScoresWithOnnxRuntime ? "onnx-runtime" : "torchsharp")}");
// The model's own column names: its text column, and the label column its MapValueToKey step reads (any text will do).
var columns = SchemaDefinition.Create(typeof(Review));
columns[nameof(Review.Text)].ColumnName = scorer.Sentence1ColumnName;
columns[nameof(Review.Label)].ColumnName = inputSchema.Single(c => c.Name != scorer.Sentence1ColumnName).Name;
var engine = ml.Model.CreatePredictionEngine<Review, Prediction>(model, inputSchemaDefinition: columns);
foreach (var line in File.ReadLines(args[1]))
    Console.WriteLine(engine.Predict(new Review { Text = line }).PredictedLabel);
var torch = Process.GetCurrentProcess().Modules.Cast<ProcessModule>().Select(m => Path.GetFileName(m.FileName))
    .Where(name => name.Contains("torch", StringComparison.OrdinalIgnoreCase)).Distinct().Order().ToArray();
Console.WriteLine($"torch-libraries: {(torch.Length == 0 ? "none" : string.Join(", ", torch))}");
return 0;

/// <summary>The columns the model was saved with: the text, and the label that its MapValueToKey step reads (any text when scoring).</summary>
public sealed class Review
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

public sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
