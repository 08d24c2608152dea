using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>One method's step times on one shape, ours and PyTorch's, taken in alternating order within each round.</summary>
internal sealed record PeerStepTimes(FineTuningMethod Method, long OurTrainable, long PeerTrainable,
    double[] OurMilliseconds, double[] PeerMilliseconds, double[] OurCpuMilliseconds, double[] PeerCpuMilliseconds)
{
    /// <summary>Median over rounds of our step time / PyTorch's.</summary>
    public double Ratio => Statistics.Median(OurMilliseconds.Zip(PeerMilliseconds, (o, p) => o / p));
    public double CpuRatio => Statistics.Median(OurCpuMilliseconds.Zip(PeerCpuMilliseconds, (o, p) => o / p));
}

/// <summary>What the training comparison measured on one model shape.</summary>
internal sealed record PeerTrainingResult(string Shape, string TorchVersion, int Threads, ForwardAgreement Agreement, int Rounds,
    IReadOnlyList<PeerStepTimes> Methods, string LoadBefore, string LoadAfter);

/// <summary>
/// Training step time against PyTorch on the same weights: batch × length random token ids (no padding), the paper's defaults
/// (r 8, α 16 on query and value, AdamW, clipping 1.0, λ 0.5 from step 1). The peer's eval forward must agree with ours within
/// 1e-4 before anything is timed. For each method (one model at a time on each side), after one warm-up step each, every round
/// times one step of ours and one of PyTorch's, alternating which goes first, so both see the same load; the ratio is the median
/// of per-round ratios.
/// </summary>
internal static class TorchTrainingComparison
{
    /// <param name="dropoutOverride">When given, replaces every dropout probability on both sides (0: libtorch's fused attention kernel in training too).</param>
    public static PeerTrainingResult Measure(string shape, string folder, IReadOnlyList<string> checkSentences, int batchSize, int length,
        int rounds, double? dropoutOverride, Action<string> log)
    {
        string loadBefore = MachineState.LoadAverage();
        int threads = torch.get_num_threads();
        var headFile = Path.Combine(Directory.CreateTempSubdirectory("deltalora-peer-head-").FullName, "head.safetensors");
        try
        {
            ForwardAgreement agreement;
            using (var reference = Load(folder))
            using (var head = File.Create(headFile))
                SafetensorsWriter.Write(head, ModuleTensors.Export(reference).Where(t => t.Key.StartsWith("classifier.", StringComparison.Ordinal)));
            using var peer = TorchPeerProcess.Start(Path.Combine(folder, EncoderConfig.FileName), [Path.Combine(folder, "model.safetensors"), headFile], threads);
            using (var reference = Load(folder))
                agreement = ForwardAgreement.Measure(reference, folder, checkSentences, peer);
            log($"  {shape}: PyTorch {peer.Version}, {peer.Threads} threads; forward agreement: last_hidden_state {agreement.LastHiddenState:E2}, logits {agreement.Logits:E2}");
            if (!agreement.Agrees)
                throw new InvalidOperationException($"The PyTorch peer's forward differs from ours by {Math.Max(agreement.LastHiddenState, agreement.Logits):E2} (> {ForwardAgreement.Tolerance:E0}) on {shape}; nothing is timed.");

            var methods = new List<PeerStepTimes>();
            foreach (var method in InterleavedTiming.Order)
            {
                methods.Add(MeasureMethod(method, folder, peer, batchSize, length, rounds, dropoutOverride));
                var m = methods[^1];
                log($"  {shape} {method}: ours {Statistics.Median(m.OurMilliseconds):F0} ms, PyTorch {Statistics.Median(m.PeerMilliseconds):F0} ms, ratio {m.Ratio:F3}");
            }
            return new PeerTrainingResult(shape, peer.Version, threads, agreement, rounds, methods, loadBefore, MachineState.LoadAverage());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(headFile)!, recursive: true);
        }
    }

    private static BertForSequenceClassification Load(string folder, double? dropoutOverride = null)
    {
        torch.manual_seed(0);
        return (BertForSequenceClassification)PretrainedModels.LoadSequenceClassifier(folder, BenchmarkModel.NumLabels, dropoutOverride);
    }

    private static PeerStepTimes MeasureMethod(FineTuningMethod method, string folder, TorchPeerProcess peer, int batchSize, int length, int rounds,
        double? dropoutOverride)
    {
        var peerTrainable = (long)peer.Send(new { cmd = "prepare", method = method.ToString(), batch = batchSize, length, seed = 1, dropout = dropoutOverride })["trainable"]!;
        using var model = Load(folder, dropoutOverride);
        var settings = new RunSettings(BenchmarkModel.BertKey, 0, batchSize, length, 1, rounds);
        using var tuner = new FineTuner(model, settings.Options(method), rounds + 1);
        long ourTrainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        using var batch = new RandomBatch(model.Config.VocabSize, batchSize, length);

        var ours = new List<double>();
        var theirs = new List<double>();
        var oursCpu = new List<double>();
        var theirsCpu = new List<double>();
        for (int round = 0; round <= rounds; round++)
        {
            bool oursFirst = round % 2 == 0;
            (double Wall, double Cpu) our = default, their = default;
            if (oursFirst) our = StepOurs(tuner, batch);
            their = StepPeer(peer);
            if (!oursFirst) our = StepOurs(tuner, batch);
            if (round == 0) continue; // warm-up
            ours.Add(our.Wall);
            oursCpu.Add(our.Cpu);
            theirs.Add(their.Wall);
            theirsCpu.Add(their.Cpu);
        }
        return new PeerStepTimes(method, ourTrainable, peerTrainable, ours.ToArray(), theirs.ToArray(), oursCpu.ToArray(), theirsCpu.ToArray());
    }

    private static (double Wall, double Cpu) StepOurs(FineTuner tuner, RandomBatch batch)
    {
        var cpuBefore = Utilisation.ProcessorTime();
        var stopwatch = Stopwatch.StartNew();
        tuner.Step(batch.Batch, batch.Labels);
        return (stopwatch.Elapsed.TotalMilliseconds, (Utilisation.ProcessorTime() - cpuBefore).TotalMilliseconds);
    }

    private static (double Wall, double Cpu) StepPeer(TorchPeerProcess peer)
    {
        var reply = peer.Send(new { cmd = "step" });
        return ((double)reply["ms"]!, (double)reply["cpu_ms"]!);
    }
}
