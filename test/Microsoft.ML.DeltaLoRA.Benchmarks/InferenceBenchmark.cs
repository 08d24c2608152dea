using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Benchmarks.Flops;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>One round: a GEMM probe, a batched pass over every sentence, and a stretch of rows scored one at a time.</summary>
internal sealed record InferenceRound(double GemmGflops, double BatchedSeconds, double BatchedCpuSeconds, int PerRowRows, double PerRowSeconds,
    double PerRowCpuSeconds, double PerRowUsefulFlops);

/// <summary>What the inference benchmark measured for one model.</summary>
internal sealed record InferenceMeasurement(
    string ModelKey, int BatchSize, int Rows, double RealTokens, double ExecutedTokens, double UsefulFlops, double ExecutedFlops,
    double TokenizingSeconds, IReadOnlyList<InferenceRound> Rounds)
{
    public double BatchedSeconds => Statistics.Median(Rounds.Select(r => r.BatchedSeconds));
    public double BatchedCpuSeconds => Statistics.Median(Rounds.Select(r => r.BatchedCpuSeconds));
    public double BatchedRowsPerSecond => Rows / BatchedSeconds;
    public int PerRowRows => Rounds.Sum(r => r.PerRowRows);
    public double PerRowRowsPerSecond => PerRowRows / Rounds.Sum(r => r.PerRowSeconds);
    /// <summary>Median over rounds of batched rows/s over one-at-a-time rows/s (both measured under the same load).</summary>
    public double Speedup => Statistics.Median(Rounds.Select(r => Rows / r.BatchedSeconds / (r.PerRowRows / r.PerRowSeconds)));
    /// <summary>The same ratio in CPU time per row.</summary>
    public double CpuTimeSpeedup => Statistics.Median(Rounds.Select(r => r.PerRowCpuSeconds / r.PerRowRows / (r.BatchedCpuSeconds / Rows)));
    public double BatchedUsefulFlopsPerSecond => UsefulFlops / BatchedSeconds;
    public double BatchedWallMfu(double peak) => Utilisation.Wall(UsefulFlops, BatchedSeconds, peak);
    public double BatchedCpuTimeMfu(double peak) => Utilisation.CpuTime(UsefulFlops, BatchedCpuSeconds, peak);
    public double PerRowWallMfu(double peak) => Utilisation.Wall(Rounds.Sum(r => r.PerRowUsefulFlops), Rounds.Sum(r => r.PerRowSeconds), peak);
    public double PerRowCpuTimeMfu(double peak) => Utilisation.CpuTime(Rounds.Sum(r => r.PerRowUsefulFlops), Rounds.Sum(r => r.PerRowCpuSeconds), peak);
}

/// <summary>
/// Inference through the public ML.NET API: fine-tunes the model for a few Delta-LoRA steps with the catalog (training is not
/// the point, it only makes a real fitted <c>DeltaLoRATransformer</c>), then scores the SST-2 dev sentences with batched
/// <c>Transform</c> and, one row at a time, with a <c>PredictionEngine</c>, in alternating rounds so both see the same load.
/// The fitted model's scorer is wrapped in a <see cref="RecordingScorer"/> (same ML.NET batching code, same model) to learn
/// the batches Transform formed: useful FLOPs count each sentence at its own token length, executed FLOPs what the batches ran.
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
        int trainSteps, int perRowRows, int rounds, Action<string> log)
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
        using var fittedTransformer = fitted.LastTransformer;
        log($"  {modelKey}: fitted {trainSteps} Delta-LoRA step(s) with the catalog in {stopwatch.Elapsed.TotalSeconds:F1} s");

        var recorder = new RecordingScorer((TorchSharpScoringEngine)fittedTransformer.Scorer.Engine);
        using var transformer = new DeltaLoRATransformer(fittedTransformer.Environment,
            new BatchScorer(recorder, fittedTransformer.Columns, fittedTransformer.InferenceBatchSize));
        var model = ((TorchSharpScoringEngine)fittedTransformer.Scorer.Engine).Model;
        var benchmarkModel = BenchmarkModel.FromKey(modelKey, layers);
        var dev = loader.Load(devFile);
        var sentences = ml.Data.CreateEnumerable<Sentence>(dev, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        var tokenLengths = new Dictionary<string, int>();
        int Tokens(string text) => tokenLengths.TryGetValue(text, out int n) ? n : tokenLengths[text] = model.Tokenizer.Encode(text, null, options.MaxSequenceLength).Length;
        double Flops(SequenceLengths lengths) => benchmarkModel.InferenceFlops(model.Network, lengths).Forward;

        foreach (var text in sentences) Tokens(text);
        stopwatch.Restart();
        foreach (var text in sentences) model.Tokenizer.Encode(text, null, options.MaxSequenceLength);
        double tokenizingSeconds = stopwatch.Elapsed.TotalSeconds;
        TransformTiming.ScoreAll(transformer, ml.Data.TakeRows(dev, 2 * InferenceBatchSize)); // warm-up: thread pool, allocator, first-call costs
        var engine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(transformer);
        for (int i = 0; i < 4; i++) engine.Predict(new Sentence { Sentence1 = sentences[i] });
        recorder.Clear();

        var results = new List<InferenceRound>();
        int perRound = Math.Max(1, Math.Min(perRowRows, sentences.Length) / rounds);
        for (int round = 0; round < rounds; round++)
        {
            double gemm = GemmPeak.Probe();
            var cpuBefore = Utilisation.ProcessorTime();
            double batched = TransformTiming.ScoreAll(transformer, dev);
            double batchedCpu = (Utilisation.ProcessorTime() - cpuBefore).TotalSeconds;
            var rows = sentences.Skip(round * perRound).Take(perRound).ToArray();
            var row = new Sentence();
            cpuBefore = Utilisation.ProcessorTime();
            stopwatch.Restart();
            foreach (var text in rows)
            {
                row.Sentence1 = text;
                if (engine.Predict(row).Score.Length != BenchmarkModel.NumLabels) throw new InvalidOperationException("PredictionEngine returned the wrong number of scores.");
            }
            double perRow = stopwatch.Elapsed.TotalSeconds;
            double perRowCpu = (Utilisation.ProcessorTime() - cpuBefore).TotalSeconds;
            results.Add(new InferenceRound(gemm, batched, batchedCpu, rows.Length, perRow, perRowCpu, Flops(new SequenceLengths(rows.Select(Tokens)))));
            log($"  {modelKey} round {round + 1}: GEMM {gemm:F0} GFLOP/s, batched {sentences.Length} rows {batched:F2} s, one at a time {rows.Length} rows {perRow:F2} s");
        }

        // The batches of the first batched pass: the first calls, up to every sentence once.
        var batches = new List<string[]>();
        foreach (var call in recorder.Batches())
        {
            if (batches.Sum(b => b.Length) >= sentences.Length) break;
            batches.Add(call);
        }
        if (batches.Sum(b => b.Length) != sentences.Length || batches.Any(b => b.Length > InferenceBatchSize))
            throw new InvalidOperationException($"The recorded batches ({string.Join(", ", batches.Select(b => b.Length))}) do not make one pass over {sentences.Length} rows.");
        double executedTokens = batches.Sum(b => (double)b.Length * b.Max(Tokens));
        double executedFlops = batches.Sum(b => Flops(SequenceLengths.Uniform(b.Length, b.Max(Tokens))));
        var allLengths = new SequenceLengths(sentences.Select(Tokens));
        return new InferenceMeasurement(modelKey, InferenceBatchSize, sentences.Length, allLengths.Tokens, executedTokens, Flops(allLengths), executedFlops,
            tokenizingSeconds, results);
    }
}
