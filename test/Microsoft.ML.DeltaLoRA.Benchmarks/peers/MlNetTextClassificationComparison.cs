using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>One fit + Transform + PredictionEngine measurement (ours or the peer's), as the peer project prints it.</summary>
internal sealed record TextClassificationMeasurement(int TrainRows, double FitSeconds, long Parameters, int Rows, double TransformSeconds,
    int PerRowRows, double PerRowSeconds)
{
    public double TrainRowsPerSecond => TrainRows / FitSeconds;
    public double TransformRowsPerSecond => Rows / TransformSeconds;
    public double PerRowRowsPerSecond => PerRowRows / PerRowSeconds;
}

/// <summary>What the ML.NET TextClassification comparison measured: per round, the peer and ours on MiniLM and on a BERT of NAS-BERT's size.</summary>
internal sealed record MlNetComparisonResult(string? StockError, IReadOnlyList<(TextClassificationMeasurement Peer, TextClassificationMeasurement MiniLM, TextClassificationMeasurement SmallBert)> Rounds,
    string LoadBefore, string LoadAfter)
{
    /// <summary>Median over rounds of our batched rows/s on the BERT of equal size over the peer's batched rows/s.</summary>
    public double BatchedRatioAtEqualSize => Statistics.Median(Rounds.Select(r => r.SmallBert.TransformRowsPerSecond / r.Peer.TransformRowsPerSecond));
}

/// <summary>
/// ML.NET's own <c>TextClassification</c> (Microsoft.ML.TorchSharp 0.23.1, NAS-BERT, full fine-tuning), patched to run on TorchSharp
/// 0.107 (mlnet-peer/, set up by setup-peers.sh), against ours through the same public ML.NET calls: one epoch of fitting on the
/// same SST-2 training rows (batch 32; ours Delta-LoRA), a batched Transform over the 872 dev sentences and a PredictionEngine
/// stretch. Ours runs on MiniLM and on a BERT of NAS-BERT's parameter count (BERT-tiny's shape: 2 layers, hidden 128, 2 heads,
/// FFN 512, random weights). The peer runs in a child process (it needs its own Microsoft.ML.TorchSharp); rounds alternate.
/// </summary>
internal static class MlNetTextClassificationComparison
{
    public static string PeerFolder => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "mlnet-peer", "bin", "Release", "net10.0"));
    public static string PeerDll => Path.Combine(PeerFolder, "MlNetTextClassificationPeer.dll");
    public static string StockErrorFile => Path.Combine(PeerFolder, "stock-error.txt");

    public static string? Unavailable() => File.Exists(PeerDll) && File.Exists(Path.Combine(PeerFolder, "mlnet-temp", "mlnet", "NasBert2000000.tsm"))
        ? null : $"the ML.NET TextClassification peer is not set up ({PeerDll}); run test/Microsoft.ML.DeltaLoRA.Benchmarks/setup-peers.sh.";

    public static EncoderConfig SmallBertConfig() => EncoderConfig.Parse("""
        {
          "model_type": "bert", "vocab_size": 30522, "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
          "intermediate_size": 512, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
          "max_position_embeddings": 512, "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0
        }
        """, "BERT-tiny-shaped config");

    public static MlNetComparisonResult Measure(string minilm, string vocabulary, string trainFile, string devFile, int trainRows, int perRowRows, int rounds, Action<string> log)
    {
        string loadBefore = MachineState.LoadAverage();
        using var small = BertBaseFolder.Create(SmallBertConfig(), vocabulary);
        var results = new List<(TextClassificationMeasurement, TextClassificationMeasurement, TextClassificationMeasurement)>();
        for (int round = 0; round < rounds; round++)
        {
            TextClassificationMeasurement? peer = null;
            if (round % 2 == 1) peer = RunPeer(trainFile, devFile, trainRows, perRowRows);
            var ours = MeasureOurs(minilm, trainFile, devFile, trainRows, perRowRows);
            var oursSmall = MeasureOurs(small.Path, trainFile, devFile, trainRows, perRowRows);
            peer ??= RunPeer(trainFile, devFile, trainRows, perRowRows);
            results.Add((peer, ours, oursSmall));
            log($"  round {round + 1}: batched rows/s: ML.NET TextClassification {peer.TransformRowsPerSecond:F0}, ours MiniLM {ours.TransformRowsPerSecond:F0}, ours BERT-tiny shape {oursSmall.TransformRowsPerSecond:F0}");
        }
        string? stockError = File.Exists(StockErrorFile) ? File.ReadAllText(StockErrorFile).Trim() : null;
        return new MlNetComparisonResult(stockError, results, loadBefore, MachineState.LoadAverage());
    }

    private static TextClassificationMeasurement RunPeer(string trainFile, string devFile, int trainRows, int perRowRows)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { PeerDll, "run", Path.Combine(PeerFolder, "mlnet-temp"), trainFile, devFile, $"{trainRows}", $"{perRowRows}" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the ML.NET TextClassification peer.");
        var lines = process.StandardOutput.ReadToEnd().Split('\n');
        process.WaitForExit();
        var result = lines.FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The ML.NET TextClassification peer exited with code {process.ExitCode} without a result; see its messages above.");
        return JsonSerializer.Deserialize<TextClassificationMeasurement>(result["RESULT ".Length..])!;
    }

    private sealed class Sentence
    {
        [LoadColumn(0)] public string Sentence1 { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    private static TextClassificationMeasurement MeasureOurs(string folder, string trainFile, string devFile, int trainRows, int perRowRows)
    {
        var ml = new MLContext(seed: 0);
        var loader = ml.Data.CreateTextLoader(
            [new TextLoader.Column("Sentence1", DataKind.String, 0), new TextLoader.Column("Label", DataKind.Single, 1)],
            separatorChar: '\t', hasHeader: true, allowQuoting: false);
        var options = new DeltaLoRAOptions { ModelPath = folder, BatchSize = 32, Epochs = 1, MaxSequenceLength = 128, Seed = 0 };
        var stopwatch = Stopwatch.StartNew();
        var fitted = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options)).Fit(ml.Data.TakeRows(loader.Load(trainFile), trainRows));
        double fitSeconds = stopwatch.Elapsed.TotalSeconds;
        using var transformer = fitted.LastTransformer;
        long parameters = ((TorchSharpScoringEngine)transformer.Scorer.Engine).Model.Network.parameters().Sum(p => p.numel());
        var dev = loader.Load(devFile);
        var sentences = ml.Data.CreateEnumerable<Sentence>(dev, reuseRowObject: false).Select(s => s.Sentence1).ToArray();
        TransformTiming.ScoreAll(transformer, ml.Data.TakeRows(dev, 64)); // warm-up
        double transformSeconds = TransformTiming.ScoreAll(transformer, dev);
        var engine = ml.Model.CreatePredictionEngine<Sentence, Prediction>(fitted);
        var row = new Sentence { Sentence1 = sentences[0] };
        engine.Predict(row);
        var rows = sentences.Take(perRowRows).ToArray();
        stopwatch.Restart();
        foreach (var text in rows)
        {
            row.Sentence1 = text;
            if (engine.Predict(row).Score.Length != BenchmarkModel.NumLabels) throw new InvalidOperationException("PredictionEngine returned the wrong number of scores.");
        }
        return new TextClassificationMeasurement(trainRows, fitSeconds, parameters, sentences.Length, transformSeconds, rows.Length, stopwatch.Elapsed.TotalSeconds);
    }
}
