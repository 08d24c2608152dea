using System.Globalization;
using System.Text;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// The peer report, measured in one run: training step time against PyTorch (same weights, same kernels, forward checked
/// first) on the MiniLM and BERT-base shapes, and inference rows/s against ONNX Runtime on MiniLM's original export.
/// Progress goes to stderr, the markdown report to stdout (and --out).
/// </summary>
internal static class PeerReport
{
    public static int Run(PeerOptions options)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var started = DateTime.UtcNow;
        string loadBefore = MachineState.LoadAverage();
        Log($"load average at start: {loadBefore}");
        var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv");
        var train = SharedFiles.Find("data", "small", "sst2_train_256.tsv");
        var vocabulary = SharedFiles.Find("fixtures", "tokenizers", "bert-base-uncased-vocab.txt");
        if (dev is null || train is null || vocabulary is null)
            throw new FileNotFoundException("The peer report needs ../shared (SST-2 sentences, the BERT vocabulary); set DELTALORA_SHARED.");
        var minilm = NamedModels.ResolveFolder(NamedModels.MiniLM.Name); // names the fetch command when MiniLM is absent
        var checkSentences = File.ReadLines(dev).Skip(1).Take(8).Select(l => l.Split('\t')[0]).ToArray();

        var trainings = new List<PeerTrainingResult>();
        string? trainingSkipped = options.Training ? TorchPeerProcess.Unavailable() : "not asked for (--no-training)";
        if (trainingSkipped is null)
        {
            foreach (var shape in options.Shapes)
            {
                Log($"{shape}: training against PyTorch");
                if (shape == "minilm")
                    trainings.Add(TorchTrainingComparison.Measure("MiniLM (all-MiniLM-L6-v2)", minilm, checkSentences, options.BatchSize, options.SequenceLength, options.MiniLMRounds, null, Log));
                else if (shape == "minilm-dropout0")
                    trainings.Add(TorchTrainingComparison.Measure("MiniLM, dropout 0 (fused attention on both sides)", minilm, checkSentences, options.BatchSize, options.SequenceLength, options.MiniLMRounds, 0, Log));
                else
                {
                    using var folder = BertBaseFolder.Create(options.Layers, vocabulary);
                    trainings.Add(TorchTrainingComparison.Measure($"BERT-base shape ({options.Layers} layers, random weights)", folder.Path, checkSentences, options.BatchSize, options.SequenceLength, options.BertRounds, null, Log));
                }
            }
        }
        else Log($"training against PyTorch skipped: {trainingSkipped}");

        OnnxComparisonResult? onnx = null;
        if (options.Inference)
        {
            Log("MiniLM: inference against ONNX Runtime");
            onnx = OnnxRuntimeComparison.Measure(minilm, train, dev, options.InferenceRounds, options.PerRowRows, Log);
        }

        MlNetComparisonResult? mlnet = null;
        string? mlnetSkipped = options.MlNet ? MlNetTextClassificationComparison.Unavailable() : "not asked for (--no-mlnet)";
        if (mlnetSkipped is null)
        {
            Log("ML.NET TextClassification (patched benchmark-only copy) against ours");
            mlnet = MlNetTextClassificationComparison.Measure(minilm, vocabulary, train, dev, options.MlNetTrainRows, options.PerRowRows, options.MlNetRounds, Log);
        }
        else Log($"ML.NET TextClassification skipped: {mlnetSkipped}");

        string loadAfter = MachineState.LoadAverage();
        Log($"load average at end: {loadAfter}");
        var report = Format(options, started, loadBefore, loadAfter, trainings, trainingSkipped, onnx) + FormatMlNet(options, mlnet, mlnetSkipped);
        Console.Write(report);
        if (options.OutputFile is not null) File.WriteAllText(options.OutputFile, report);
        return 0;
    }

    private static string Format(PeerOptions options, DateTime started, string loadBefore, string loadAfter,
        IReadOnlyList<PeerTrainingResult> trainings, string? trainingSkipped, OnnxComparisonResult? onnx)
    {
        var s = new StringBuilder();
        s.AppendLine($"# Peers: ours against PyTorch and ONNX Runtime ({started:yyyy-MM-dd HH:mm} UTC)");
        s.AppendLine();
        s.AppendLine($"- Machine: {MachineState.CpuModel()}, {Environment.ProcessorCount} logical CPUs; TorchSharp {typeof(torch).Assembly.GetName().Version} (CPU), float32.");
        s.AppendLine($"- Threads: {MachineState.Threads()}; every peer runs with the same intra-op thread count.");
        s.AppendLine($"- Load average (1, 5, 15 min; running/total tasks): start {loadBefore}; end {loadAfter}.");
        s.AppendLine($"- Options: shapes {string.Join(",", options.Shapes)}, batch {options.BatchSize} × {options.SequenceLength} tokens, rounds MiniLM {options.MiniLMRounds} / BERT-base {options.BertRounds} (after 1 warm-up step each), inference rounds {options.InferenceRounds}, one-at-a-time rows {options.PerRowRows}.");
        s.AppendLine();
        s.AppendLine("## Training step time, ours / PyTorch (target ≤ 1.0)");
        s.AppendLine();
        if (trainingSkipped is not null) s.AppendLine($"Skipped: {trainingSkipped}");
        else
        {
            s.AppendLine("| shape | method | trainable params (ours / PyTorch) | ours step | PyTorch step | ours / PyTorch (wall) | (CPU time) | ≤ 1.0 |");
            s.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
            foreach (var t in trainings)
                foreach (var m in t.Methods)
                    s.AppendLine($"| {t.Shape} | {m.Method} | {m.OurTrainable:N0} / {m.PeerTrainable:N0} | {Statistics.Median(m.OurMilliseconds):N0} ms | {Statistics.Median(m.PeerMilliseconds):N0} ms | **{m.Ratio:F3}** | {m.CpuRatio:F3} | {(m.Ratio <= 1.0 ? "met" : "missed")} |");
            s.AppendLine();
            foreach (var t in trainings)
            {
                s.AppendLine($"- {t.Shape}: PyTorch {t.TorchVersion}, {t.Threads} threads; {t.Rounds} timed rounds per method; forward check on {t.Agreement.Sequences} SST-2 dev sentences ({t.Agreement.Tokens} real tokens), max |ours − PyTorch|: last_hidden_state {t.Agreement.LastHiddenState:E2}, logits {t.Agreement.Logits:E2} (tolerance 1e-4); load {t.LoadBefore} → {t.LoadAfter}.");
                foreach (var m in t.Methods)
                    s.AppendLine($"  - {m.Method} per-round ratios: {string.Join(", ", m.OurMilliseconds.Zip(m.PeerMilliseconds, (o, p) => (o / p).ToString("F3")))}");
            }
        }
        s.AppendLine();
        s.AppendLine("## Inference rows/s on MiniLM, ours / ONNX Runtime (target ≥ 1.0)");
        s.AppendLine();
        if (onnx is null) s.AppendLine("Skipped (--no-inference).");
        else
        {
            s.AppendLine($"The {onnx.Rows} SST-2 dev sentences, {onnx.Threads} threads. Ours: the catalog-fitted transformer (2 Delta-LoRA steps, adapters merged), batched `Transform` (InferenceBatchSize {InferenceBenchmark.InferenceBatchSize}) and `PredictionEngine`. ORT {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}: the package's original `model.onnx`, ORT_ENABLE_ALL, its best calibrated configuration (batch {onnx.OnnxBatchSize}, spinning {(onnx.OnnxSpinning ? "on" : "off")}; sentences sorted by length), the same tokenizer; both include tokenization.");
            s.AppendLine();
            s.AppendLine("| path | ours rows/s | ONNX Runtime rows/s | ours / ORT (median of rounds) | ≥ 1.0 |");
            s.AppendLine("|---|---:|---:|---:|---|");
            s.AppendLine($"| batched | {onnx.OurBatchedRowsPerSecond:F0} | {onnx.OnnxBatchedRowsPerSecond:F0} | **{onnx.BatchedRatio:F3}** | {(onnx.BatchedRatio >= 1 ? "met" : "missed")} |");
            s.AppendLine($"| batched, our model without ML.NET (`PredictRaw`, whole set sorted by length) | {onnx.OurDirectRowsPerSecond:F0} | {onnx.OnnxBatchedRowsPerSecond:F0} | {onnx.DirectRatio:F3} | (diagnosis) |");
            s.AppendLine($"| one row at a time, our model without ML.NET (`PredictRaw` per row) | {onnx.OurDirectPerRowRowsPerSecond:F0} | {onnx.OnnxPerRowRowsPerSecond:F0} | {onnx.DirectPerRowRatio:F3} | (diagnosis) |");
            s.AppendLine($"| one row at a time | {onnx.OurPerRowRowsPerSecond:F0} | {onnx.OnnxPerRowRowsPerSecond:F0} | {onnx.PerRowRatio:F3} | (reported) |");
            s.AppendLine($"| batched, ours scored by ONNX Runtime (`WithOnnxRuntimeScoring`, `Transform`) | {onnx.EngineBatchedRowsPerSecond:F0} | {onnx.OnnxBatchedRowsPerSecond:F0} | **{onnx.EngineBatchedRatio:F3}** | {(onnx.EngineBatchedRatio >= 1 ? "met" : "missed")} |");
            s.AppendLine($"| one row at a time, ours scored by ONNX Runtime (`PredictionEngine`) | {onnx.EnginePerRowRowsPerSecond:F0} | {onnx.OnnxPerRowRowsPerSecond:F0} | **{onnx.EnginePerRowRatio:F3}** | {(onnx.EnginePerRowRatio >= 1 ? "met" : "missed")} |");
            s.AppendLine();
            s.AppendLine($"- Ours scored by ONNX Runtime: the same fitted model after `MLContext.Model.WithOnnxRuntimeScoring` (our ONNX export of the merged network with its head, our tokenizer and length-grouped batches, ORT {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version} ORT_ENABLE_ALL with {onnx.Threads} intra-op threads, spinning while a run lasts and stopped when it returns, `session.force_spinning_stop`); max |score − the TorchSharp engine's| on {onnx.EngineCheckRows} dev sentences: {onnx.EngineMaxScoreDifference:E2}.");
            s.AppendLine($"- Batching rules. ORT: the whole set sorted by token count, then whole batches of {onnx.OnnxBatchSize} (a program holding every sentence in a list). Ours (`Transform` over the file, whose row count ML.NET does not know): look-ahead windows of {string.Join(", ", InferenceDiagnosis.TransformWindows(onnx.Rows).Select(w => w.End.Value - w.Start.Value))} rows, each sorted by token count and cut into batches of at most {InferenceBenchmark.InferenceBatchSize} where a jump in length saves more padding than a forward pass costs (`LengthGroups`). One row at a time: one forward pass per row on both sides.");
            s.AppendLine("- Every timed stretch starts after a 300 ms pause, so that no ONNX Runtime session's leftover spinning (ORT's default after a run returns) takes cores from the next stretch.");
            s.AppendLine($"- Our tokenizer alone on the {onnx.Rows} sentences: {onnx.TokenizingSeconds * 1000:F0} ms (median of rounds), in both sides' times.");
            s.AppendLine($"- ORT calibration (one pass each): {string.Join("; ", onnx.Calibration)}.");
            s.AppendLine($"- Per-round batched ratios: {string.Join(", ", onnx.Rounds.Select(r => (r.OnnxBatchedSeconds / r.OurBatchedSeconds).ToString("F3")))}; one at a time: {string.Join(", ", onnx.Rounds.Select(r => (r.OnnxPerRowSeconds / r.OurPerRowSeconds).ToString("F3")))}; load {onnx.LoadBefore} → {onnx.LoadAfter}.");
            s.AppendLine($"- Per-round ratios of ours scored by ONNX Runtime: batched {string.Join(", ", onnx.Rounds.Select(r => (r.OnnxBatchedSeconds / r.EngineBatchedSeconds).ToString("F3")))}; one at a time: {string.Join(", ", onnx.Rounds.Select(r => (r.OnnxPerRowSeconds / r.EnginePerRowSeconds).ToString("F3")))}.");
        }
        return s.ToString();
    }

    private static string FormatMlNet(PeerOptions options, MlNetComparisonResult? mlnet, string? skipped)
    {
        var s = new StringBuilder();
        s.AppendLine();
        s.AppendLine("## ML.NET TextClassification (Microsoft.ML.TorchSharp 0.23.1, patched benchmark-only copy) against ours (target: batched ≥ 5× its rows/s at equal parameter count)");
        s.AppendLine();
        if (mlnet is null)
        {
            s.AppendLine($"Skipped: {skipped}");
            return s.ToString();
        }
        s.AppendLine($"The stock package on TorchSharp 0.107 fails: `{mlnet.StockError ?? "(stock-error.txt not found; setup-peers.sh records it)"}`. The peer is a copy of its DLL whose four `ModelUtils.Init*` bodies no longer dispose the parameter that `nn.init.*_` returns (mlnet-peer/ModelUtilsPatch.cs), with random NAS-BERT weights written by its own `ModelForPrediction(options, 1, 50265, 2).GetEncoder().save(path)`.");
        s.AppendLine();
        s.AppendLine($"Same public ML.NET calls on both sides: `Fit` of one epoch over {options.MlNetTrainRows} SST-2 training rows (batch 32; its full fine-tuning, our Delta-LoRA; the time includes loading the model), batched `Transform` over the 872 dev sentences, `PredictionEngine` over {options.PerRowRows} of them. Medians over {mlnet.Rounds.Count} alternating rounds.");
        s.AppendLine();
        s.AppendLine("| model | trainer | parameters | training rows/s (`Fit`) | batched `Transform` rows/s | `PredictionEngine` rows/s |");
        s.AppendLine("|---|---|---:|---:|---:|---:|");
        void Row(string name, string trainer, IEnumerable<TextClassificationMeasurement> m)
        {
            var list = m.ToList();
            s.AppendLine($"| {name} | {trainer} | {list[0].Parameters:N0} | {Statistics.Median(list.Select(x => x.TrainRowsPerSecond)):F1} | {Statistics.Median(list.Select(x => x.TransformRowsPerSecond)):F0} | {Statistics.Median(list.Select(x => x.PerRowRowsPerSecond)):F0} |");
        }
        Row("NAS-BERT (ML.NET TextClassification, patched copy)", "full fine-tuning", mlnet.Rounds.Select(r => r.Peer));
        Row("ours, BERT-tiny shape (2 layers, hidden 128; random weights)", "Delta-LoRA", mlnet.Rounds.Select(r => r.SmallBert));
        Row("ours, MiniLM (all-MiniLM-L6-v2)", "Delta-LoRA", mlnet.Rounds.Select(r => r.MiniLM));
        s.AppendLine();
        s.AppendLine($"Ours (BERT-tiny shape) / TextClassification, batched rows/s: **{mlnet.BatchedRatioAtEqualSize:F2}×** (per round: {string.Join(", ", mlnet.Rounds.Select(r => (r.SmallBert.TransformRowsPerSecond / r.Peer.TransformRowsPerSecond).ToString("F2")))}) — {(mlnet.BatchedRatioAtEqualSize >= 5 ? "met" : "missed")}; MiniLM (5× the parameters) / TextClassification: {Statistics.Median(mlnet.Rounds.Select(r => r.MiniLM.TransformRowsPerSecond / r.Peer.TransformRowsPerSecond)):F2}×. Load {mlnet.LoadBefore} → {mlnet.LoadAfter}.");
        return s.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
