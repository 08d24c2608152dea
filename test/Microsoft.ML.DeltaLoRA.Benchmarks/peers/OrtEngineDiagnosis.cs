using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// Where the ONNX Runtime engine's time goes against ORT on MiniLM's original <c>model.onnx</c> (`ort-engine-diagnosis`): variants
/// timed in rounds in one process, the order rotated every round so that each variant follows each other one; medians and
/// per-round ratios to ORT on the original graph. Batched: ORT's harness (<see cref="OnnxRuntimeScorer"/>: sort the whole set,
/// batches of 32) on the original graph and on our export, the engine's <c>Score</c> on the whole set, and <c>Transform</c>.
/// One row at a time: the same harness, the engine's <c>Score</c> per row, and <c>PredictionEngine</c>.
/// </summary>
internal static class OrtEngineDiagnosis
{
    private const int BatchSize = InferenceBenchmark.InferenceBatchSize;
    private const int MaxLength = OnnxRuntimeComparison.MaxSequenceLength;

    /// <summary>
    /// The graphs' work alone, measurable on a loaded machine: ORT's harness on the original <c>model.onnx</c> and on our export of
    /// the same pretrained MiniLM (untrained 2-class head), one intra-op thread, spinning off, CPU seconds of the process per round.
    /// </summary>
    public static int Work(int rounds, int sentenceCount)
    {
        var (folder, sentences, tokenizer) = MiniLMAndSentences(sentenceCount);
        var ourGraph = Path.Combine(Path.GetTempPath(), $"ort-engine-work-{Environment.ProcessId}.onnx");
        using (var model = TextClassificationModel.LoadPretrained(folder, 2))
            File.WriteAllBytes(ourGraph, OnnxExport.Build(model, fusedAttention: true).ToByteArray());
        try
        {
            var report = new StringBuilder($"# ONNX Runtime graph work on MiniLM ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)\n\n- Machine: {MachineState.CpuModel()}; load average at the start: {MachineState.LoadAverage()}.\n\n");
            var encoded = sentences.Select(text => tokenizer.Encode(text, null, MaxLength)).ToArray();
            var lengths = encoded.Select(e => e.Length).ToArray();
            using var original = new OnnxRuntimeScorer(Path.Combine(folder, "model.onnx"), tokenizer, 1, allowSpinning: false);
            using var ours = new OnnxRuntimeScorer(ourGraph, tokenizer, 1, allowSpinning: false);
            using var oursNoSkip = new OnnxRuntimeScorer(ourGraph, tokenizer, 1, allowSpinning: false, disabledOptimizers: "SkipLayerNormFusion");
            report.Append(Table($"{sentences.Length} SST-2 dev sentences tokenized, sorted, whole batches of {BatchSize}; 1 intra-op thread, spinning off: rows per CPU second", sentences.Length, rounds,
            [
                ("original model.onnx (encoder only, last_hidden_state)", () => CpuSeconds(() => original.ScoreBatches(encoded, WholeBatches(lengths)))),
                ("our export (encoder, mean pooling, head; logits and probabilities)", () => CpuSeconds(() => ours.ScoreBatches(encoded, WholeBatches(lengths)))),
                ("our export, ORT's SkipLayerNormFusion off", () => CpuSeconds(() => oursNoSkip.ScoreBatches(encoded, WholeBatches(lengths)))),
            ]));
            report.AppendLine($"\nLoad average at the end: {MachineState.LoadAverage()}.");
            Console.Write(report);
            return 0;
        }
        finally
        {
            File.Delete(ourGraph);
        }
    }

    /// <summary>
    /// Where each graph's time goes, by operator type: ORT's own profiler over one pass of the sentences (sorted, whole batches of
    /// 32, 1 intra-op thread, spinning off) on the original <c>model.onnx</c>, our export with ORT's fused attention (the engine's
    /// graph) and our portable standard-ops export. Kernel times are wall-clock, so read them as shares on a loaded machine.
    /// </summary>
    public static int Profile(int sentenceCount)
    {
        var (folder, sentences, tokenizer) = MiniLMAndSentences(sentenceCount);
        var encoded = sentences.Select(text => tokenizer.Encode(text, null, MaxLength)).ToArray();
        var lengths = encoded.Select(e => e.Length).ToArray();
        var work = Path.Combine(Path.GetTempPath(), $"ort-graph-profile-{Environment.ProcessId}");
        Directory.CreateDirectory(work);
        try
        {
            var graphs = new List<(string Name, string File)> { ("original model.onnx", Path.Combine(folder, "model.onnx")) };
            using (var model = TextClassificationModel.LoadPretrained(folder, 2))
            {
                foreach (var fused in new[] { true, false })
                {
                    var file = Path.Combine(work, fused ? "fused.onnx" : "standard.onnx");
                    File.WriteAllBytes(file, OnnxExport.Build(model, fusedAttention: fused).ToByteArray());
                    graphs.Add((fused ? "our export, com.microsoft.Attention (engine)" : "our export, standard ops (portable)", file));
                }
            }
            var report = new StringBuilder($"# ORT profile by operator type, {sentences.Length} SST-2 dev sentences, 1 thread ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {MachineState.LoadAverage()})\n");
            foreach (var (name, file) in graphs)
            {
                using var scorer = new OnnxRuntimeScorer(file, tokenizer, 1, allowSpinning: false, profilePrefix: Path.Combine(work, "profile"));
                scorer.ScoreBatches(encoded, WholeBatches(lengths).Take(2)); // warm-up, profiled too: subtracted below by keeping run 3 onwards
                scorer.ScoreBatches(encoded, WholeBatches(lengths));
                var totals = new Dictionary<string, double>();
                using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(scorer.EndProfiling())))
                {
                    int runs = 0;
                    foreach (var e in json.RootElement.EnumerateArray())
                    {
                        if (e.GetProperty("name").GetString() == "model_run") runs++;
                        if (runs <= 2 || e.GetProperty("cat").GetString() != "Node" || !e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                        var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                        totals[op] = totals.GetValueOrDefault(op) + e.GetProperty("dur").GetDouble() / 1000;
                    }
                }
                double sum = totals.Values.Sum();
                report.AppendLine($"\n## {name}: {sum:F0} ms in kernels\n\n| op | ms | share |\n|---|---:|---:|");
                foreach (var (op, ms) in totals.OrderByDescending(t => t.Value)) report.AppendLine($"| {op} | {ms:F0} | {ms / sum:P1} |");
                Console.Error.WriteLine($"  {name}: {sum:F0} ms in kernels");
            }
            Console.Write(report);
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public static int Run(int rounds, int perRowRows)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var folder = NamedModels.ResolveFolder("minilm");
        var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv") ?? throw new FileNotFoundException("../shared/data/glue/sst2/dev.tsv was not found; set DELTALORA_SHARED.");
        var train = SharedFiles.Find("data", "small", "sst2_train_256.tsv") ?? throw new FileNotFoundException("../shared/data/small/sst2_train_256.tsv was not found; set DELTALORA_SHARED.");
        var report = new StringBuilder();
        report.AppendLine($"# ONNX Runtime engine diagnosis on MiniLM ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)").AppendLine();
        report.AppendLine($"- Machine: {MachineState.CpuModel()}; {MachineState.Threads()}.");
        report.AppendLine($"- Load average at the start: {MachineState.LoadAverage()}. {rounds} rounds, order rotated every round.").AppendLine();

        int threads = torch.get_num_threads();
        var (ml, loader, transformer) = OnnxRuntimeComparison.FitForInference(folder, train);
        using var owned = transformer;
        using var onnxTransformer = OnnxRuntimeScoring.ToOnnxRuntime(transformer, new(threads, SpinWhileRunning: true));
        var engine = onnxTransformer.Scorer.Engine;
        var devView = loader.Load(dev);
        var sentences = ml.Data.CreateEnumerable<OnnxRuntimeComparison.Sentence>(devView, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        var tokenizer = PretrainedTokenizers.Load(folder, ModelFamily.Bert);
        var ourGraph = Path.Combine(Path.GetTempPath(), $"ort-engine-diagnosis-{Environment.ProcessId}.onnx");
        File.WriteAllBytes(ourGraph, OnnxExport.Build(((TorchSharpScoringEngine)transformer.Scorer.Engine).Model, fusedAttention: true).ToByteArray());
        try
        {
            using var peer = new OnnxRuntimeScorer(Path.Combine(folder, "model.onnx"), tokenizer, threads, allowSpinning: true);
            using var ours = new OnnxRuntimeScorer(ourGraph, tokenizer, threads, allowSpinning: true);
            var outputs = new float[sentences.Length * engine.OutputCount];
            var predictor = ml.Model.CreatePredictionEngine<OnnxRuntimeComparison.Sentence, OnnxRuntimeComparison.Prediction>(onnxTransformer);
            var row = new OnnxRuntimeComparison.Sentence();

            var rows = sentences.Take(perRowRows).ToArray();
            using var stopping = new OnnxRuntimeScorer(Path.Combine(folder, "model.onnx"), tokenizer, threads, allowSpinning: true, forceSpinningStop: true);
            stopping.ScoreOneAtATime(rows.Take(4));
            report.AppendLine().AppendLine("Process CPU ms per 25 ms of sleep after scoring 8 rows one at a time (the session's intra-op threads spinning on):");
            report.AppendLine($"- spinning on: {SpinTail(() => peer.ScoreOneAtATime(rows.Take(8)))}");
            report.AppendLine($"- spinning on, `session.force_spinning_stop`: {SpinTail(() => stopping.ScoreOneAtATime(rows.Take(8)))}");
            report.AppendLine().AppendLine(Padding(tokenizer, sentences)).AppendLine();
            Console.Error.Write(report);
            report.Append(Table($"{rows.Length} sentences one at a time, rows/s", rows.Length, rounds,
            [
                ("ORT harness, original model.onnx (peer)", () => peer.ScoreOneAtATime(rows)),
                ("ORT harness, our export", () => ours.ScoreOneAtATime(rows)),
                ("engine `Score` per row", () => InferenceDiagnosis.Seconds(() => { foreach (var text in rows) engine.Score([text], null, BatchSize, outputs); })),
                ("`PredictionEngine`", () => InferenceDiagnosis.Seconds(() => { foreach (var text in rows) { row.Sentence1 = text; predictor.Predict(row); } })),
            ]));
            report.AppendLine();
            report.Append(Table($"the {sentences.Length} SST-2 dev sentences, batch {BatchSize}, rows/s", sentences.Length, rounds,
            [
                ("ORT harness, original model.onnx (peer)", () => peer.ScoreBatched(sentences, BatchSize)),
                ("ORT harness, our export", () => ours.ScoreBatched(sentences, BatchSize)),
                ("engine `Score`, whole set", () => InferenceDiagnosis.Seconds(() => engine.Score(sentences, null, BatchSize, outputs))),
                ("`Transform`", () => TransformTiming.ScoreAll(onnxTransformer, devView)),
            ]));
            report.AppendLine($"Load average at the end: {MachineState.LoadAverage()}.");
        }
        finally
        {
            File.Delete(ourGraph);
        }
        Console.Write(report);
        return 0;
    }

    /// <summary>MiniLM's folder, the first <paramref name="count"/> SST-2 dev sentences and MiniLM's tokenizer.</summary>
    private static (string Folder, string[] Sentences, SequenceTokenizer Tokenizer) MiniLMAndSentences(int count)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var folder = NamedModels.ResolveFolder("minilm");
        var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv") ?? throw new FileNotFoundException("../shared/data/glue/sst2/dev.tsv was not found; set DELTALORA_SHARED.");
        var sentences = File.ReadLines(dev).Skip(1).Select(line => line.Split('\t')[0]).Take(count).ToArray();
        return (folder, sentences, PretrainedTokenizers.Load(folder, ModelFamily.Bert));
    }

    private static IEnumerable<int[]> WholeBatches(int[] lengths)
        => Enumerable.Range(0, lengths.Length).OrderBy(r => lengths[r]).Chunk(BatchSize);

    private static double CpuSeconds(Action action)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        action();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>Padded tokens and forward passes of each grouping of the dev set.</summary>
    private static string Padding(SequenceTokenizer tokenizer, string[] sentences)
    {
        var lengths = sentences.Select(s => tokenizer.Encode(s, null, MaxLength).Length).ToArray();
        long real = lengths.Sum();
        string Describe(string name, IEnumerable<int[]> batches)
        {
            var list = batches.ToList();
            long padded = list.Sum(b => (long)b.Length * b.Max(r => lengths[r]));
            return $"- {name}: {list.Count} passes, {padded} tokens ({(double)padded / real:F3}× the {real} real ones)";
        }
        var windows = new List<int[]>();
        foreach (var window in InferenceDiagnosis.TransformWindows(lengths.Length))
        {
            int start = window.Start.Value;
            windows.AddRange(LengthGroups.Batches(lengths[window], BatchSize).Select(b => b.Select(r => r + start).ToArray()));
        }
        return string.Join('\n',
            Describe("sorted whole set, whole batches of 32 (the peer)", Enumerable.Range(0, lengths.Length).OrderBy(r => lengths[r]).Chunk(BatchSize)),
            Describe("`LengthGroups` over the whole set", LengthGroups.Batches(lengths, BatchSize)),
            Describe("`LengthGroups` per Transform window", windows));
    }

    /// <summary>The process's CPU milliseconds in each of 12 slices of 25 ms of sleep after <paramref name="run"/>.</summary>
    private static string SpinTail(Action run)
    {
        var process = Process.GetCurrentProcess();
        run();
        var slices = new List<double>();
        for (int i = 0; i < 12; i++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            Thread.Sleep(25);
            process.Refresh();
            slices.Add((process.TotalProcessorTime - before).TotalMilliseconds);
        }
        return string.Join(", ", slices.Select(ms => ms.ToString("F0")));
    }

    /// <summary>
    /// A markdown table: each variant's median rate and the median of its per-round ratio to the first. Round r runs the variants
    /// starting at r (mod count), so each variant runs after each other one.
    /// </summary>
    private static string Table(string what, int units, int rounds, (string Name, Func<double> Seconds)[] variants)
    {
        foreach (var variant in variants) variant.Seconds(); // warm-up
        var seconds = variants.Select(_ => new double[rounds]).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < variants.Length; i++)
            {
                int v = (round + i) % variants.Length;
                seconds[v][round] = variants[v].Seconds();
                Console.Error.WriteLine($"  round {round + 1}, {variants[v].Name}: {units / seconds[v][round]:F1}");
            }
        return InferenceDiagnosis.FormatTable($"| {what} | median | per round (round r starts with variant r) | ratio to the first (median of rounds) |",
            units, variants.Select(v => v.Name).ToArray(), seconds);
    }
}
