using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>What the inference benchmark measured for one model.</summary>
internal sealed record InferenceMeasurement(
    string ModelKey, int BatchSize, int Rows, double RealTokens, double PaddedTokens, double BatchedSeconds,
    double BatchedUsefulFlops, double BatchedExecutedFlops, int PerRowRows, double PerRowSeconds, double PerRowUsefulFlops)
{
    public double BatchedRowsPerSecond => Rows / BatchedSeconds;
    public double PerRowRowsPerSecond => PerRowRows / PerRowSeconds;
    public double Speedup => BatchedRowsPerSecond / PerRowRowsPerSecond;
    public double BatchedUsefulFlopsPerSecond => BatchedUsefulFlops / BatchedSeconds;
    public double BatchedExecutedFlopsPerSecond => BatchedExecutedFlops / BatchedSeconds;
    public double PerRowFlopsPerSecond => PerRowUsefulFlops / PerRowSeconds;
}

/// <summary>
/// Inference through the public ML.NET API: fine-tunes the model for a few Delta-LoRA steps with the catalog (training is not
/// the point, it only makes a real fitted <c>DeltaLoRATransformer</c>), then scores the SST-2 dev sentences with batched
/// <c>Transform</c> (InferenceBatchSize rows per forward pass) and, one row at a time, with a <c>PredictionEngine</c>.
/// Useful FLOPs count each sentence at its own token length; executed FLOPs count what the batches ran, padding included.
/// </summary>
internal static class InferenceBenchmark
{
    public const int InferenceBatchSize = 32;

    public sealed class Sentence
    {
        [LoadColumn(0)] public string Sentence1 { get; set; } = "";
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    public static InferenceMeasurement Measure(string modelKey, string? modelPath, int layers, string trainFile, string devFile,
        int trainSteps, int perRowRows, int batchedPasses, Action<string> log)
    {
        var ml = new MLContext(seed: 0);
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
            separatorChar: '\t', hasHeader: true, allowQuoting: false);
        var options = new DeltaLoRAOptions
        {
            ModelPath = modelPath, Method = FineTuningMethod.DeltaLoRA, MaxSteps = trainSteps, BatchSize = 8,
            InferenceBatchSize = InferenceBatchSize, MaxSequenceLength = 128, Seed = 0,
        };
        var training = ml.Data.TakeRows(loader.Load(trainFile), trainSteps * options.BatchSize);
        var stopwatch = Stopwatch.StartNew();
        var fitted = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options)).Fit(training);
        using var transformer = fitted.LastTransformer;
        log($"  {modelKey}: fitted {trainSteps} Delta-LoRA step(s) with the catalog in {stopwatch.Elapsed.TotalSeconds:F1} s");

        var model = ((FineTunedTextScorer)transformer.Scorer.Scorer).Model;
        var benchmarkModel = BenchmarkModel.FromKey(modelKey, layers);
        var dev = loader.Load(devFile);
        var sentences = ml.Data.CreateEnumerable<Sentence>(dev, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        var lengths = sentences.Select(s => model.Tokenizer.Encode(s, null, options.MaxSequenceLength).Length).ToArray();

        // What the batched path runs: consecutive blocks of InferenceBatchSize rows, each padded to its longest row.
        var blocks = lengths.Chunk(InferenceBatchSize).ToArray();
        double paddedTokens = blocks.Sum(b => (double)b.Length * b.Max());
        double executedFlops = blocks.Sum(b => benchmarkModel.InferenceFlops(model.Network, SequenceLengths.Uniform(b.Length, b.Max())).Forward);
        double usefulFlops = benchmarkModel.InferenceFlops(model.Network, new SequenceLengths(lengths)).Forward;

        ScoreAll(transformer, ml.Data.TakeRows(dev, 2 * InferenceBatchSize)); // warm-up: thread pool, allocator, first-call costs
        var passes = Enumerable.Range(0, batchedPasses).Select(_ => ScoreAll(transformer, dev)).ToArray();
        double batchedSeconds = passes.Min();
        log($"  {modelKey}: batched Transform of {sentences.Length} rows: {string.Join(", ", passes.Select(s => s.ToString("F2")))} s");

        var engine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(transformer);
        var row = new Sentence();
        for (int i = 0; i < 4; i++) engine.Predict(new Sentence { Sentence1 = sentences[i] }); // warm-up
        int perRow = Math.Min(perRowRows, sentences.Length);
        stopwatch.Restart();
        for (int i = 0; i < perRow; i++)
        {
            row.Sentence1 = sentences[i];
            var prediction = engine.Predict(row);
            if (prediction.Score.Length != BenchmarkModel.NumLabels) throw new InvalidOperationException($"PredictionEngine returned {prediction.Score.Length} scores.");
        }
        double perRowSeconds = stopwatch.Elapsed.TotalSeconds;
        double perRowFlops = benchmarkModel.InferenceFlops(model.Network, new SequenceLengths(lengths.Take(perRow))).Forward;
        log($"  {modelKey}: PredictionEngine, {perRow} rows one at a time: {perRowSeconds:F2} s");

        return new InferenceMeasurement(modelKey, InferenceBatchSize, sentences.Length, lengths.Sum(), paddedTokens, batchedSeconds,
            usefulFlops, executedFlops, perRow, perRowSeconds, perRowFlops);
    }

    /// <summary>Seconds to transform <paramref name="data"/> and read every row's Score.</summary>
    private static double ScoreAll(DeltaLoRATransformer transformer, IDataView data)
    {
        var stopwatch = Stopwatch.StartNew();
        var scored = transformer.Transform(data);
        var score = scored.Schema[transformer.ScoreColumnName];
        using var cursor = scored.GetRowCursor([score]);
        var getter = cursor.GetGetter<VBuffer<float>>(score);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext()) getter(ref value);
        return stopwatch.Elapsed.TotalSeconds;
    }
}
