using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// Where our MiniLM inference spends the time that the ONNX Runtime comparison shows (`peers-diagnosis`): variants of the same
/// work timed in interleaved rounds in one process (alternating order), medians and per-round ratios to the first variant.
/// <list type="number">
/// <item>Batched, the 872 SST-2 dev sentences: <c>PredictRaw</c> over one sort of the whole set (what ORT's batched run does),
/// <c>PredictRaw</c> per look-ahead window as <c>Transform</c> reads them (<see cref="LookAheadWindows"/>), and
/// <c>Transform</c> itself. Splits the batched gap into padding from the windows and the ML.NET layer.</item>
/// <item>Batched, the network alone: rows cut into whole batches of 32 after sorting (the grouping before 2026-12-01) against
/// <see cref="LengthGroups"/>' cost-based cut, within Transform's windows and over one sort of the whole set.</item>
/// <item>One row (a 25-token sentence): the network's forward under no-grad and inference mode, 2 and 1 intra-op threads.</item>
/// <item>The same row: the whole forward against its linear layers alone (random weights of the same shapes), as
/// <c>linear(x, W, b)</c> with W stored [out, in] (the layout before 2026-12-01) and as <c>addmm(b, x, Wᵀ)</c> with Wᵀ stored
/// contiguous (<see cref="LoRALinear"/>'s layout since).</item>
/// </list>
/// </summary>
internal static class InferenceDiagnosis
{
    private const int BatchSize = InferenceBenchmark.InferenceBatchSize;
    private const int MaxLength = OnnxRuntimeComparison.MaxSequenceLength;

    public static int Run(int rounds, string? outFile)
    {
        var folder = NamedModels.ResolveFolder("minilm");
        var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv") ?? throw new FileNotFoundException("../shared/data/glue/sst2/dev.tsv was not found; set DELTALORA_SHARED.");
        var train = SharedFiles.Find("data", "glue", "sst2", "train.tsv") ?? throw new FileNotFoundException("../shared/data/glue/sst2/train.tsv was not found; set DELTALORA_SHARED.");
        var report = new StringBuilder();
        report.AppendLine($"# Inference diagnosis on MiniLM ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)").AppendLine();
        report.AppendLine($"- Machine: {MachineState.CpuModel()}; {MachineState.Threads()}.");
        report.AppendLine($"- Load average at the start: {MachineState.LoadAverage()}. {rounds} interleaved rounds per section, order alternating.").AppendLine();

        var (_, loader, transformer) = OnnxRuntimeComparison.FitForInference(folder, train);
        using var owned = transformer;
        var model = ((TorchSharpScoringEngine)transformer.Scorer.Engine).Model;
        var devView = loader.Load(dev);
        var sentences = File.ReadLines(dev).Skip(1).Select(line => line.Split('\t')[0]).ToArray();

        report.AppendLine("## Batched: where Transform's time goes").AppendLine();
        report.Append(Table($"the {sentences.Length} SST-2 dev sentences, batch {BatchSize}, rows/s", sentences.Length, rounds,
        [
            ("`PredictRaw`, one sort of the whole set", () => Seconds(() => model.PredictRaw(sentences, null, MaxLength, BatchSize))),
            ("`PredictRaw` per look-ahead window as `Transform` reads them", () => Seconds(() => ScoreInWindows(model, sentences))),
            ("`Transform`, reading every Score", () => TransformTiming.ScoreAll(transformer, devView)),
        ]));

        var encoded = sentences.Select(s => model.Encode(s, null, MaxLength)).ToArray();
        report.AppendLine().AppendLine("## Batched: cutting length-sorted rows into batches").AppendLine();
        report.Append(Table($"the {sentences.Length} SST-2 dev sentences, the network alone, rows/s", sentences.Length, rounds,
        [
            ("Transform's windows, whole batches of 32 (the cut before 2026-12-01)", () => Forwards(model, encoded, windowed: true, WholeBatches)),
            ($"Transform's windows, `LengthGroups` (cost per pass {LengthGroups.ForwardPassCostInTokens} tokens)", () => Forwards(model, encoded, windowed: true, LengthGroups.Batches)),
            ("one sort of the whole set, whole batches of 32", () => Forwards(model, encoded, windowed: false, WholeBatches)),
            ("one sort of the whole set, `LengthGroups`", () => Forwards(model, encoded, windowed: false, LengthGroups.Batches)),
        ]));

        var row = encoded.First(s => s.Length == 25);
        int threads = torch.get_num_threads();
        report.AppendLine().AppendLine("## One row (25 tokens): grad mode and threads").AppendLine();
        report.Append(Table("one row, 200 forwards per round, rows/s", 200, rounds,
        [
            ($"no-grad, {threads} threads", () => Forwards(model, row, 200, torch.no_grad, threads)),
            ($"inference mode, {threads} threads", () => Forwards(model, row, 200, () => torch.inference_mode(), threads)),
            ("no-grad, 1 thread", () => Forwards(model, row, 200, torch.no_grad, 1)),
            ("inference mode, 1 thread", () => Forwards(model, row, 200, () => torch.inference_mode(), 1)),
        ]));
        torch.set_num_threads(threads);

        using var gemms = new LinearShapes(model.Network, row.Length);
        report.AppendLine().AppendLine("## One row (25 tokens): the linear layers' share").AppendLine();
        report.Append(Table("one row, 100 repetitions per round, repetitions/s", 100, rounds,
        [
            ("the whole forward (inference mode)", () => Forwards(model, row, 100, () => torch.inference_mode(), threads)),
            ($"its {gemms.Count} linear layers alone, `linear(x, W, b)`, W stored [out, in]", () => gemms.Seconds(100, transposed: false)),
            ($"its {gemms.Count} linear layers alone, `addmm(b, x, Wᵀ)`, Wᵀ contiguous", () => gemms.Seconds(100, transposed: true)),
        ]));
        report.AppendLine().AppendLine($"Load average at the end: {MachineState.LoadAverage()}.");

        Console.Write(report);
        if (outFile is not null) File.WriteAllText(outFile, report.ToString());
        return 0;
    }

    /// <summary>The windows <c>Transform</c>'s cursor reads over <paramref name="rows"/> rows of a text file (row count unknown): <see cref="LookAheadWindows"/>.</summary>
    internal static IEnumerable<Range> TransformWindows(int rows)
    {
        var windows = new LookAheadWindows(BatchSize, BatchSize * BatchScorer.BatchesPerWindow, RowCount: null);
        for (int start = 0, window = windows.Next(0, 0); start < rows; start += window, window = windows.Next(window, start))
            yield return start..Math.Min(start + window, rows);
    }

    private static void ScoreInWindows(TextClassificationModel model, string[] sentences)
    {
        foreach (var window in TransformWindows(sentences.Length)) model.PredictRaw(sentences[window], null, MaxLength, BatchSize);
    }

    /// <summary>The grouping before the cost-based cut: rows sorted by length, then whole batches of <paramref name="batchSize"/>.</summary>
    private static IEnumerable<int[]> WholeBatches(IReadOnlyList<int> lengths, int batchSize)
        => Enumerable.Range(0, lengths.Count).OrderBy(row => lengths[row]).Chunk(batchSize);

    /// <summary>Every row through the network in the given batches, per look-ahead window as Transform reads them or over the whole set.</summary>
    private static double Forwards(TextClassificationModel model, EncodedSequence[] rows, bool windowed, Func<IReadOnlyList<int>, int, IEnumerable<int[]>> grouping)
        => Seconds(() =>
        {
            using var mode = torch.no_grad();
            foreach (var window in windowed ? TransformWindows(rows.Length) : new[] { 0..rows.Length })
            {
                var part = rows[window];
                foreach (var batchRows in grouping(part.Select(r => r.Length).ToArray(), BatchSize))
                {
                    using var scope = torch.NewDisposeScope();
                    using var batch = BatchCollator.Collate(batchRows.Select(r => part[r]).ToArray(), model.Tokenizer, model.Device);
                    _ = model.Network.forward(batch).data<float>().ToArray();
                }
            }
        });

    private static double Forwards(TextClassificationModel model, EncodedSequence row, int count, Func<IDisposable> gradMode, int threads)
    {
        torch.set_num_threads(threads);
        return Seconds(() =>
        {
            for (int i = 0; i < count; i++)
            {
                using var mode = gradMode();
                using var scope = torch.NewDisposeScope();
                using var batch = BatchCollator.Collate([row], model.Tokenizer, model.Device);
                _ = model.Network.forward(batch).data<float>().ToArray();
            }
        });
    }

    internal static double Seconds(Action action)
    {
        var stopwatch = Stopwatch.StartNew();
        action();
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>A markdown table: each variant's median rate over interleaved rounds, and the median of its per-round ratio to the first.</summary>
    private static string Table(string what, int units, int rounds, (string Name, Func<double> Seconds)[] variants)
    {
        foreach (var variant in variants) variant.Seconds(); // warm-up
        var seconds = variants.Select(_ => new double[rounds]).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            var order = Enumerable.Range(0, variants.Length);
            foreach (int v in round % 2 == 0 ? order : order.Reverse()) seconds[v][round] = variants[v].Seconds();
        }
        return FormatTable($"| {what} | median | per round | ratio to the first (median of rounds) |", units, variants.Select(v => v.Name).ToArray(), seconds);
    }

    /// <summary>The rows under <paramref name="header"/>: each variant's median rate, its rate per round and the median of its per-round ratio to the first.</summary>
    internal static string FormatTable(string header, int units, string[] names, double[][] seconds)
    {
        var s = new StringBuilder(header).Append("\n|---|---:|---|---:|\n");
        for (int v = 0; v < names.Length; v++)
        {
            var rates = seconds[v].Select(t => units / t).ToArray();
            double ratio = Statistics.Median(Enumerable.Range(0, seconds[v].Length).Select(r => seconds[0][r] / seconds[v][r]));
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {names[v]} | {Statistics.Median(rates):F1} | {string.Join(", ", rates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)))} | {ratio:F3} |"));
        }
        return s.ToString();
    }

    /// <summary>Random inputs and weights of the shapes of every <see cref="LoRALinear"/> layer of a network, for a row of the given length.</summary>
    private sealed class LinearShapes : IDisposable
    {
        private readonly List<(Tensor Input, Tensor Weight, Tensor WeightTransposed, Tensor Bias)> _layers = [];

        public LinearShapes(nn.Module network, int tokens)
        {
            foreach (var (_, module) in network.named_modules())
                if (module is LoRALinear linear)
                {
                    var weight = torch.randn(linear.OutFeatures, linear.InFeatures);
                    _layers.Add((torch.randn(tokens, linear.InFeatures), weight, weight.t().contiguous(), torch.randn(linear.OutFeatures)));
                }
        }

        public int Count => _layers.Count;

        public double Seconds(int repetitions, bool transposed) => InferenceDiagnosis.Seconds(() =>
        {
            for (int i = 0; i < repetitions; i++)
            {
                using var mode = torch.inference_mode();
                using var scope = torch.NewDisposeScope();
                foreach (var (input, weight, weightTransposed, bias) in _layers)
                    _ = transposed ? torch.addmm(bias, input, weightTransposed, 1f, 1f) : nn.functional.linear(input, weight, bias);
            }
        });

        public void Dispose()
        {
            foreach (var layer in _layers) { layer.Input.Dispose(); layer.Weight.Dispose(); layer.WeightTransposed.Dispose(); layer.Bias.Dispose(); }
        }
    }
}
