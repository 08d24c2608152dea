using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// One round: our batched Transform (TorchSharp engine, then the same model scored by ONNX Runtime) and ORT's chosen batched run
/// over every sentence, then a stretch one row at a time on each.
/// </summary>
/// <remarks>
/// <c>EngineBatchedSeconds</c>, <c>EnginePerRowSeconds</c>: the fitted model after <c>MLContext.Model.WithOnnxRuntimeScoring</c>
/// (our ONNX export, our tokenizer and batching, an ORT session with the same intra-op thread count), through the same
/// <c>Transform</c> and <c>PredictionEngine</c>.
/// <c>OurDirectSeconds</c>: the same fitted model's <c>PredictRaw</c> on every sentence at once (tokenize, sort the whole set by
/// length, batches of 32: no ML.NET cursor, least padding); <c>TokenizingSeconds</c>: our tokenizer alone on every sentence.
/// Together they split our batched time into tokenizing, the network, and the ML.NET layer. <c>OurDirectPerRowSeconds</c>: the
/// one-at-a-time stretch through <c>PredictRaw</c> row by row, which splits the per-row time the same way.
/// </remarks>
internal sealed record OnnxRound(double OurBatchedSeconds, double OnnxBatchedSeconds, int PerRowRows, double OurPerRowSeconds, double OnnxPerRowSeconds,
    double OurDirectSeconds, double TokenizingSeconds, double OurDirectPerRowSeconds, double EngineBatchedSeconds, double EnginePerRowSeconds);

/// <summary>What the ONNX Runtime comparison measured.</summary>
internal sealed record OnnxComparisonResult(int Rows, int Threads, int OnnxBatchSize, bool OnnxSpinning, IReadOnlyList<string> Calibration,
    IReadOnlyList<OnnxRound> Rounds, string LoadBefore, string LoadAfter, int EngineCheckRows, double EngineMaxScoreDifference)
{
    public double EngineBatchedRowsPerSecond => Rows / Statistics.Median(Rounds.Select(r => r.EngineBatchedSeconds));
    public double EnginePerRowRowsPerSecond => Rounds.Sum(r => r.PerRowRows) / Rounds.Sum(r => r.EnginePerRowSeconds);
    /// <summary>Median over rounds of the ONNX Runtime engine's batched rows/s over ORT's on the original model.onnx.</summary>
    public double EngineBatchedRatio => Statistics.Median(Rounds.Select(r => r.OnnxBatchedSeconds / r.EngineBatchedSeconds));
    public double EnginePerRowRatio => Statistics.Median(Rounds.Select(r => r.OnnxPerRowSeconds / r.EnginePerRowSeconds));
    public double OurBatchedRowsPerSecond => Rows / Statistics.Median(Rounds.Select(r => r.OurBatchedSeconds));
    public double OnnxBatchedRowsPerSecond => Rows / Statistics.Median(Rounds.Select(r => r.OnnxBatchedSeconds));
    public double OurPerRowRowsPerSecond => Rounds.Sum(r => r.PerRowRows) / Rounds.Sum(r => r.OurPerRowSeconds);
    public double OnnxPerRowRowsPerSecond => Rounds.Sum(r => r.PerRowRows) / Rounds.Sum(r => r.OnnxPerRowSeconds);
    /// <summary>Median over rounds of our batched rows/s over ORT's.</summary>
    public double BatchedRatio => Statistics.Median(Rounds.Select(r => r.OnnxBatchedSeconds / r.OurBatchedSeconds));
    public double PerRowRatio => Statistics.Median(Rounds.Select(r => r.OnnxPerRowSeconds / r.OurPerRowSeconds));
    public double OurDirectRowsPerSecond => Rows / Statistics.Median(Rounds.Select(r => r.OurDirectSeconds));
    public double DirectRatio => Statistics.Median(Rounds.Select(r => r.OnnxBatchedSeconds / r.OurDirectSeconds));
    public double TokenizingSeconds => Statistics.Median(Rounds.Select(r => r.TokenizingSeconds));
    public double OurDirectPerRowRowsPerSecond => Rounds.Sum(r => r.PerRowRows) / Rounds.Sum(r => r.OurDirectPerRowSeconds);
    public double DirectPerRowRatio => Statistics.Median(Rounds.Select(r => r.OnnxPerRowSeconds / r.OurDirectPerRowSeconds));
}

/// <summary>
/// Inference rows/s against ONNX Runtime on the same pretrained encoder (MiniLM's original <c>model.onnx</c>): ours through the
/// public ML.NET API (catalog-fitted for a few steps, adapters merged, batched <c>Transform</c> and <c>PredictionEngine</c>),
/// ORT with the same thread count and tokenizer. ORT's batched configuration is its best of a calibration pass over batch
/// sizes and its spin setting; then rounds alternate which side goes first. Both count tokenization; ours also runs the
/// classification head, which ORT's encoder-only export does not have (2 small products per row).
/// </summary>
/// <remarks>
/// Batching rules, stated in the report: ORT sorts the whole set by token count and cuts it into whole batches (a program that
/// holds every sentence in a list); ours is <c>Transform</c> over the file, which reads look-ahead windows of rows
/// (<c>MLNet.LookAheadWindows</c>) and cuts each window, sorted by length, with <c>Modeling.LengthGroups</c>.
/// Every timed stretch starts after <see cref="Quiesce"/>, so that no ONNX Runtime session's leftover spinning runs into the next
/// stretch: ORT's intra-op threads spin after a run returns unless the session stops them (our engine does; the peer keeps its
/// calibrated setting). Without the pause, whichever ORT session ran second in a round lost cores to the first one's spin:
/// one-row ratios alternated between about 0.7 and 1.8 by round order.
/// </remarks>
internal static class OnnxRuntimeComparison
{
    private static readonly int[] CandidateBatchSizes = [16, 32, 64];

    /// <summary>
    /// Longer than an idle ORT session's spin after its last run (2^20 pause iterations per intra-op thread: tens of milliseconds).
    /// </summary>
    private const int QuiesceMilliseconds = 300;

    /// <summary>Waits until the ORT sessions that ran last have stopped spinning, before the next timed stretch.</summary>
    private static T Quiesced<T>(Func<T> measure)
    {
        Thread.Sleep(QuiesceMilliseconds);
        return measure();
    }

    /// <summary>Tokens per input on both sides (SST-2 sentences stay well below it).</summary>
    public const int MaxSequenceLength = 128;

    public sealed class Sentence
    {
        [LoadColumn(0)] public string Sentence1 { get; set; } = "";
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    /// <summary>
    /// The model both inference measurements score with: catalog-fitted on SST-2 for 2 Delta-LoRA steps (adapters merged), and the
    /// loader of SST-2's tab-separated files (Sentence1, Label).
    /// </summary>
    public static (MLContext Ml, TextLoader Loader, DeltaLoRATransformer Transformer) FitForInference(string folder, string trainFile)
    {
        var ml = new MLContext(seed: 0);
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
            separatorChar: '\t', hasHeader: true, allowQuoting: false);
        var options = new DeltaLoRAOptions
        {
            ModelPath = folder, Method = FineTuningMethod.DeltaLoRA, MaxSteps = 2, BatchSize = 8,
            InferenceBatchSize = InferenceBenchmark.InferenceBatchSize, MaxSequenceLength = MaxSequenceLength, Seed = 0,
        };
        var training = ml.Data.TakeRows(loader.Load(trainFile), 2 * options.BatchSize);
        var fitted = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options)).Fit(training);
        return (ml, loader, fitted.LastTransformer);
    }

    public static OnnxComparisonResult Measure(string folder, string trainFile, string devFile, int rounds, int perRowRows, Action<string> log)
    {
        string loadBefore = MachineState.LoadAverage();
        int threads = torch.get_num_threads();
        var (ml, loader, transformer) = FitForInference(folder, trainFile);
        using var owned = transformer;
        var dev = loader.Load(devFile);
        var sentences = ml.Data.CreateEnumerable<Sentence>(dev, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        // The same fitted model scored by ONNX Runtime (MLContext.Model.WithOnnxRuntimeScoring), with ORT's intra-op threads = ours.
        using var onnxEngine = OnnxRuntimeScoring.ToOnnxRuntime(transformer, new(threads, SpinWhileRunning: true));
        var checkRows = ml.Data.TakeRows(dev, 64);
        var engineDifference = Statistics.MaxAbsoluteDifference(TransformTiming.Scores(transformer, checkRows), TransformTiming.Scores(onnxEngine, checkRows));
        log($"  ONNX Runtime engine: max |score - TorchSharp engine's| on 64 dev sentences {engineDifference:E2}");
        var engine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(transformer);
        var onnxPredictionEngine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(onnxEngine);
        var row = new Sentence();
        double OneAtATime(PredictionEngine<Sentence, Prediction> predictor, IEnumerable<string> texts)
        {
            var stopwatch = Stopwatch.StartNew();
            foreach (var text in texts)
            {
                row.Sentence1 = text;
                if (predictor.Predict(row).Score.Length != BenchmarkModel.NumLabels) throw new InvalidOperationException("PredictionEngine returned the wrong number of scores.");
            }
            return stopwatch.Elapsed.TotalSeconds;
        }
        double OursOneAtATime(IEnumerable<string> texts) => OneAtATime(engine, texts);
        double EngineOneAtATime(IEnumerable<string> texts) => OneAtATime(onnxPredictionEngine, texts);

        var tokenizer = PretrainedTokenizers.Load(folder, ModelFamily.Bert);
        var model = ((TorchSharpScoringEngine)transformer.Scorer.Engine).Model;
        var onnxFile = Path.Combine(folder, "model.onnx");
        using var spinning = new OnnxRuntimeScorer(onnxFile, tokenizer, threads, allowSpinning: true);
        using var passive = new OnnxRuntimeScorer(onnxFile, tokenizer, threads, allowSpinning: false);

        // Warm-up of both sides, then ORT's calibration: its best batch size and spin setting on one pass each.
        TransformTiming.ScoreAll(transformer, ml.Data.TakeRows(dev, 64));
        OursOneAtATime(sentences.Take(4));
        TransformTiming.ScoreAll(onnxEngine, ml.Data.TakeRows(dev, 64));
        EngineOneAtATime(sentences.Take(4));
        var calibration = new List<(OnnxRuntimeScorer Scorer, int BatchSize, double Seconds)>();
        foreach (var scorer in new[] { spinning, passive })
        {
            scorer.ScoreBatched(sentences.Take(64).ToArray(), 32);
            scorer.ScoreOneAtATime(sentences.Take(4));
            foreach (var size in CandidateBatchSizes) calibration.Add((scorer, size, Quiesced(() => scorer.ScoreBatched(sentences, size))));
        }
        var best = calibration.MinBy(c => c.Seconds);
        var calibrationLines = calibration.Select(c => $"batch {c.BatchSize}, spinning {(c.Scorer.AllowSpinning ? "on" : "off")}: {sentences.Length / c.Seconds:F0} rows/s").ToArray();
        log($"  ORT calibration: {string.Join("; ", calibrationLines)}");

        var results = new List<OnnxRound>();
        int perRound = Math.Max(1, Math.Min(perRowRows, sentences.Length) / rounds);
        for (int round = 0; round < rounds; round++)
        {
            // Ours, our ONNX Runtime engine, ORT; next round the other way round (the engine always beside the peer).
            bool oursFirst = round % 2 == 0;
            double ours = 0, theirs = 0, engineBatched = 0;
            if (oursFirst) ours = Quiesced(() => TransformTiming.ScoreAll(transformer, dev));
            if (oursFirst) engineBatched = Quiesced(() => TransformTiming.ScoreAll(onnxEngine, dev));
            theirs = Quiesced(() => best.Scorer.ScoreBatched(sentences, best.BatchSize));
            if (!oursFirst) engineBatched = Quiesced(() => TransformTiming.ScoreAll(onnxEngine, dev));
            if (!oursFirst) ours = Quiesced(() => TransformTiming.ScoreAll(transformer, dev));
            var rows = sentences.Skip(round * perRound).Take(perRound).ToArray();
            double oursRow = 0, theirsRow = 0, engineRow = 0;
            if (oursFirst) oursRow = Quiesced(() => OursOneAtATime(rows));
            if (oursFirst) engineRow = Quiesced(() => EngineOneAtATime(rows));
            theirsRow = Quiesced(() => best.Scorer.ScoreOneAtATime(rows));
            if (!oursFirst) engineRow = Quiesced(() => EngineOneAtATime(rows));
            if (!oursFirst) oursRow = Quiesced(() => OursOneAtATime(rows));
            Thread.Sleep(QuiesceMilliseconds);
            var stopwatch = Stopwatch.StartNew();
            var raw = model.PredictRaw(sentences, null, MaxSequenceLength, InferenceBenchmark.InferenceBatchSize);
            double direct = stopwatch.Elapsed.TotalSeconds;
            if (raw.Length != sentences.Length * model.NumLabels) throw new InvalidOperationException("PredictRaw returned the wrong number of outputs.");
            stopwatch.Restart();
            foreach (var text in sentences) tokenizer.Encode(text, null, MaxSequenceLength);
            double tokenizing = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            foreach (var text in rows) model.PredictRaw([text], null, MaxSequenceLength, 1);
            double directPerRow = stopwatch.Elapsed.TotalSeconds;
            results.Add(new OnnxRound(ours, theirs, rows.Length, oursRow, theirsRow, direct, tokenizing, directPerRow, engineBatched, engineRow));
            log($"  round {round + 1}: batched ours {sentences.Length / ours:F0} rows/s, our ORT engine {sentences.Length / engineBatched:F0}, ORT {sentences.Length / theirs:F0} rows/s; "
                + $"one at a time ours {rows.Length / oursRow:F0}, our ORT engine {rows.Length / engineRow:F0}, ORT {rows.Length / theirsRow:F0}");
        }
        return new OnnxComparisonResult(sentences.Length, threads, best.BatchSize, best.Scorer.AllowSpinning, calibrationLines, results, loadBefore, MachineState.LoadAverage(),
            64, engineDifference);
    }
}
