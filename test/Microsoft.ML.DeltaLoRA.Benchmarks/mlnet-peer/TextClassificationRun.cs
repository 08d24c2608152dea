using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.MlNetPeer;

/// <summary>What one run of ML.NET's TextClassification measured.</summary>
internal sealed record TextClassificationMeasurement(int TrainRows, double FitSeconds, long Parameters, int Rows, double TransformSeconds,
    int PerRowRows, double PerRowSeconds);

/// <summary>
/// ML.NET's own <c>TextClassification</c> (NAS-BERT, full fine-tuning) through its public catalog: one epoch over the training rows
/// (batch 32), then a batched <c>Transform</c> over every dev sentence and a stretch through a <c>PredictionEngine</c>.
/// </summary>
internal static class TextClassificationRun
{
    public sealed class Sentence
    {
        public string Sentence1 { get; set; } = "";
        public float Label { get; set; } // MapValueToKey reads it; unused at prediction
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    public static TextClassificationMeasurement Measure(string tempFilePath, string trainFile, string devFile, int trainRows, int perRowRows)
    {
        var ml = new MLContext(seed: 0) { TempFilePath = tempFilePath };
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
            separatorChar: '\t', hasHeader: true, allowQuoting: false);
        var training = ml.Data.TakeRows(loader.Load(trainFile), trainRows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(labelColumnName: "Label", sentence1ColumnName: "Sentence1", batchSize: 32, maxEpochs: 1));
        var stopwatch = Stopwatch.StartNew();
        var model = pipeline.Fit(training);
        double fitSeconds = stopwatch.Elapsed.TotalSeconds;

        var dev = loader.Load(devFile);
        var sentences = ml.Data.CreateEnumerable<Sentence>(dev, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        ScoreAll(model, ml.Data.TakeRows(dev, 64)); // warm-up
        double transformSeconds = ScoreAll(model, dev);

        var engine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(model);
        var row = new Sentence { Sentence1 = sentences[0] };
        engine.Predict(row);
        var rows = sentences.Take(perRowRows).ToArray();
        stopwatch.Restart();
        foreach (var text in rows)
        {
            row.Sentence1 = text;
            if (engine.Predict(row).Score.Length != 2) throw new InvalidOperationException("PredictionEngine returned the wrong number of scores.");
        }
        double perRowSeconds = stopwatch.Elapsed.TotalSeconds;
        return new TextClassificationMeasurement(trainRows, fitSeconds, CountParameters(model.LastTransformer), sentences.Length, transformSeconds, rows.Length, perRowSeconds);
    }

    private static double ScoreAll(ITransformer model, IDataView data)
    {
        var stopwatch = Stopwatch.StartNew();
        var scored = model.Transform(data);
        var score = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<VBuffer<float>>(score);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext()) getter(ref value);
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>The fitted model's parameter count, read from its (non-public) TorchSharp module.</summary>
    private static long CountParameters(object transformer)
    {
        foreach (var field in transformer.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.FlattenHierarchy))
            if (field.GetValue(transformer) is global::TorchSharp.torch.nn.Module module) return module.parameters().Sum(p => p.numel());
        for (var type = transformer.GetType().BaseType; type is not null; type = type.BaseType)
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic))
                if (field.GetValue(transformer) is global::TorchSharp.torch.nn.Module module) return module.parameters().Sum(p => p.numel());
        return -1;
    }

    public static string Serialize(TextClassificationMeasurement m) => "RESULT " + JsonSerializer.Serialize(m);
}
