using System.Globalization;
using System.Text;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// The performance report, measured in one run: the GEMM peak (start and end), training throughput and MFU of the three methods
/// with step-time and peak-memory ratios to LoRA, and ML.NET inference (batched Transform against PredictionEngine), for the
/// default model (USE-Lite) and the BERT-base shape. Progress goes to stderr; the markdown report to stdout (and --out).
/// </summary>
internal static class PerfReport
{
    private static readonly int[] GemmSizes = [1024, 2048, 4096];

    private sealed record TrainingSection(BenchmarkModel Model, RunSettings Settings, TimingResult Timing,
        Dictionary<FineTuningMethod, List<MethodMeasurement>>? Memory);

    public static int Run(PerfOptions options)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var started = DateTime.Now;
        string loadBefore = MachineState.LoadAverage();
        Log($"load average at start: {loadBefore}");

        var gemmStart = GemmPeak.Measure(GemmSizes, repetitions: 6);
        Log($"GEMM peak at start: {GemmPeak.Best(gemmStart).BestGflops:F1} GFLOP/s");

        var trainings = new List<TrainingSection>();
        foreach (var key in options.Training ? options.Models : [])
        {
            int rounds = key == BenchmarkModel.UseLiteKey ? options.UseLiteTimedRounds : options.TimedRounds;
            var settings = new RunSettings(key, options.Layers, options.BatchSize, options.SequenceLength, options.WarmupRounds, rounds);
            var model = settings.Model();
            Log($"{key}: interleaved step timing, {options.WarmupRounds} warm-up + {rounds} timed round(s)");
            var timing = InterleavedTiming.Measure(settings, rounds);
            var memorySettings = settings with { WarmupSteps = 1, TimedSteps = 1 }; // the peak comes with the first step's gradients and AdamW state
            int memoryRounds = key == BenchmarkModel.UseLiteKey ? options.UseLiteMemoryRounds : options.MemoryRounds;
            var memory = memoryRounds > 0 ? MemoryComparison.Measure(memorySettings, memoryRounds, Log) : null;
            trainings.Add(new TrainingSection(model, settings, timing, memory));
        }

        var inferences = new List<InferenceMeasurement>();
        string? inferenceSkipped = null;
        if (options.Inference)
        {
            var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv");
            var train = SharedFiles.Find("data", "small", "sst2_train_256.tsv");
            var vocabulary = SharedFiles.Find("fixtures", "tokenizers", "bert-base-uncased-vocab.txt");
            if (dev is null || train is null || vocabulary is null)
                inferenceSkipped = "skipped: ../shared (SST-2 sentences, BERT vocabulary) was not found; set DELTALORA_SHARED.";
            else
            {
                foreach (var key in options.Models)
                {
                    Log($"{key}: inference through ML.NET");
                    if (key == BenchmarkModel.BertKey)
                    {
                        using var folder = BertBaseFolder.Create(options.Layers, vocabulary);
                        inferences.Add(InferenceBenchmark.Measure(key, folder.Path, options.Layers, train, dev, options.InferenceTrainingSteps, options.PerRowRows, options.InferenceRoundsFor(key), Log));
                    }
                    else
                        inferences.Add(InferenceBenchmark.Measure(key, null, options.Layers, train, dev, options.InferenceTrainingSteps, options.PerRowRows, options.InferenceRoundsFor(key), Log));
                }
            }
        }

        string? threads = null;
        if (options.ThreadRounds > 0)
        {
            var dev = SharedFiles.Find("data", "glue", "sst2", "dev.tsv");
            Log("OpenMP thread settings, child processes");
            threads = dev is null ? "skipped: ../shared/data/glue/sst2/dev.tsv was not found." : ThreadSettingsComparison.Run(dev, options.ThreadRounds, Log);
        }

        var gemmEnd = GemmPeak.Measure(GemmSizes, repetitions: 6);
        string loadAfter = MachineState.LoadAverage();
        Log($"GEMM peak at end: {GemmPeak.Best(gemmEnd).BestGflops:F1} GFLOP/s; load average at end: {loadAfter}");
        var probes = trainings.SelectMany(t => t.Timing.GemmProbeGflops).Concat(inferences.SelectMany(i => i.Rounds.Select(r => r.GemmGflops)));
        // Under sustained load every wall-clock GEMM is slowed too; the GEMM's rate per CPU second × threads is not, so it is also a
        // candidate for the machine's limit, and keeps the wall MFU a lower bound of the idle machine's figure.
        double cpuPeak = GemmPeak.BestCpuGflops(gemmStart.Concat(gemmEnd)) * 1e9;
        double wallPeak = probes.Append(GemmPeak.Best(gemmStart).BestGflops).Append(GemmPeak.Best(gemmEnd).BestGflops).Max() * 1e9;
        double peak = Math.Max(wallPeak, cpuPeak);

        var report = Render(options, started, DateTime.Now, loadBefore, loadAfter, gemmStart, gemmEnd, wallPeak, cpuPeak, trainings, inferences, inferenceSkipped, threads);
        Console.Write(report);
        if (options.OutputFile is not null) File.WriteAllText(options.OutputFile, report);
        return 0;
    }

    private static string Render(PerfOptions options, DateTime started, DateTime finished, string loadBefore, string loadAfter,
        IReadOnlyList<GemmMeasurement> gemmStart, IReadOnlyList<GemmMeasurement> gemmEnd, double wallPeak, double cpuPeak,
        List<TrainingSection> trainings, List<InferenceMeasurement> inferences, string? inferenceSkipped, string? threads)
    {
        double peak = Math.Max(wallPeak, cpuPeak);
        var md = new StringBuilder();
        var targets = new List<(string Target, string Measured, string Verdict)>();
        md.AppendLine($"# Performance report ({started:yyyy-MM-dd HH:mm}, {(finished - started).TotalMinutes:F1} min)");
        md.AppendLine();
        md.AppendLine($"- Machine: {MachineState.CpuModel()}, {Environment.ProcessorCount} cores; {MachineState.Threads()}.");
        md.AppendLine($"- Load average (1/5/15 min, running/total tasks): at start `{loadBefore}`, at end `{loadAfter}`.");
        md.AppendLine("- TorchSharp 0.107 (libtorch CPU), float32. Times under contention are lower bounds of what the machine can do.");
        md.AppendLine();

        md.AppendLine("## fp32 GEMM peak (torch.mm, square, in place)");
        md.AppendLine();
        md.AppendLine("| size | best at start | median at start | per CPU second at start | best at end | median at end | per CPU second at end |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (start, end) in gemmStart.Zip(gemmEnd))
            md.AppendLine($"| {start.Size} | {start.BestGflops:F1} GFLOP/s | {start.MedianGflops:F1} | {start.CpuGflops:F1} | {end.BestGflops:F1} | {end.MedianGflops:F1} | {end.CpuGflops:F1} |");
        md.AppendLine();
        md.AppendLine($"Best wall-clock product in the run (start, end, per-round 2048² probes): {wallPeak / 1e9:F1} GFLOP/s. Best rate per CPU second × {Utilisation.Threads} threads");
        md.AppendLine($"(2048² and 4096², start and end; 1024² runs too briefly for the 10 ms CPU clock): {cpuPeak / 1e9:F1} GFLOP/s, which other processes' load does not lower.");
        md.AppendLine($"Peak used for MFU: **{peak / 1e9:F1} GFLOP/s**, the larger of the two; MFU by CPU time divides by the second.");
        md.AppendLine();

        foreach (var section in trainings) RenderTraining(md, section, peak, cpuPeak, targets);
        md.AppendLine("## Inference through ML.NET (SST-2 dev sentences, max length 128)");
        md.AppendLine();
        if (inferenceSkipped is not null) md.AppendLine(inferenceSkipped);
        else if (inferences.Count == 0) md.AppendLine("not run (--no-inference).");
        else RenderInference(md, inferences, peak, cpuPeak, targets);
        md.AppendLine();

        if (threads is not null)
        {
            md.AppendLine("## OpenMP thread settings under load");
            md.AppendLine();
            md.AppendLine(threads);
        }

        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| target | measured | verdict |");
        md.AppendLine("|---|---:|---|");
        foreach (var (target, measured, verdict) in targets) md.AppendLine($"| {target} | {measured} | {verdict} |");
        md.AppendLine();
        md.AppendLine("Useful FLOPs: matrix products only, counted from the model's config (Flops/FlopLedger.cs): 2·rows·in·out per linear layer");
        md.AppendLine("forward (adapters included), 2·Σl²·width for each of Q·Kᵀ and P·V; backward 1× forward per operand that needs a gradient");
        md.AppendLine("(a trainable W, or an input that depends on a trainable parameter), so Full ≈ 3× forward and LoRA ≈ 2× forward.");
        md.AppendLine("MFU = useful FLOPs / wall time / peak: under other processes' load a lower bound of the idle machine's figure. The CPU-time");
        md.AppendLine("figure divides by this process's CPU time / libtorch threads and by the GEMM's rate per CPU second instead, which others'");
        md.AppendLine("time slices do not change: optimistic, as if every op kept every thread busy. Inference counts each sentence at its own");
        md.AppendLine("length (padding is not useful work).");
        return md.ToString();
    }

    private static void RenderTraining(StringBuilder md, TrainingSection section, double peak, double cpuPeak, List<(string, string, string)> targets)
    {
        var (model, settings, timing, memory) = (section.Model, section.Settings, section.Timing, section.Memory);
        string name = model.Key == BenchmarkModel.BertKey ? $"BERT-base shape ({settings.Layers} layers)" : "USE-Lite (default model)";
        md.AppendLine($"## Training: {name}");
        md.AppendLine();
        md.AppendLine($"{model.Description}; batch {settings.BatchSize} × {settings.SequenceLength} tokens (random ids, no padding);");
        md.AppendLine($"paper defaults (r 8, α 16, query+value, AdamW, clipping 1.0), K = 0 so every Delta-LoRA step also moves W.");
        md.AppendLine($"Interleaved: {settings.WarmupSteps} warm-up and {timing.StepMilliseconds[FineTuningMethod.LoRA].Length} timed round(s) of LoRA, Delta-LoRA, Full in one process.");
        md.AppendLine();
        md.AppendLine("| method | trainable params | step (median) | ×LoRA | CPU time/step | examples/s | tokens/s | useful GFLOP/step | GFLOP/s | MFU (wall; lower bound) | MFU by CPU time (optimistic) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        double tokensPerStep = (double)settings.BatchSize * settings.SequenceLength;
        foreach (var method in InterleavedTiming.Order)
        {
            double stepSeconds = Statistics.Median(timing.StepMilliseconds[method]) / 1000;
            double ratio = method switch
            {
                FineTuningMethod.DeltaLoRA => Statistics.Median(timing.DeltaLoRARatios),
                FineTuningMethod.Full => Statistics.Median(timing.FullRatios),
                _ => 1,
            };
            double flops = timing.FlopsPerStep[method];
            double wall = timing.WallMfu(method, peak), cpu = timing.CpuTimeMfu(method, cpuPeak);
            md.AppendLine($"| {method} | {timing.TrainableParameters[method]:N0} | {stepSeconds * 1000:F0} ms | {ratio:F3} | {Statistics.Median(timing.StepCpuMilliseconds[method]):F0} ms | "
                + $"{settings.BatchSize / stepSeconds:F1} | {tokensPerStep / stepSeconds:F0} | {flops / 1e9:F1} | {flops / stepSeconds / 1e9:F1} | {wall:P1} | {cpu:P1} |");
            if (model.Key == BenchmarkModel.BertKey)
                targets.Add(($"training MFU ≥ 50 % ({name}, {method})", $"{wall:P1} … {cpu:P1}", Verdict(wall >= 0.5, cpu >= 0.5)));
        }
        md.AppendLine();
        md.AppendLine($"GEMM probe per timed round: {string.Join(", ", timing.GemmProbeGflops.Select(g => g.ToString("F0")))} GFLOP/s.");
        md.AppendLine($"Wall time per timed step: {string.Join("; ", InterleavedTiming.Order.Select(m => $"{m} {string.Join(", ", timing.StepMilliseconds[m].Select(t => t.ToString("F0")))} ms"))}.");
        double loraStep = Statistics.Median(timing.StepMilliseconds[FineTuningMethod.LoRA]);
        double update = Statistics.Median(timing.UpdateMilliseconds);
        md.AppendLine($"The Delta-LoRA update alone (all adapted layers, one step): median {update:F2} ms = {update / loraStep:P2} of a LoRA step.");
        double timeRatio = Statistics.Median(timing.DeltaLoRARatios);
        targets.Add(($"Delta-LoRA/LoRA step time ≤ 1.03 ({name})", $"{timeRatio:F3} (CPU time {Statistics.Median(timing.DeltaLoRACpuRatios):F3})", Verdict(timeRatio <= 1.03)));
        md.AppendLine();

        if (memory is null) return;
        md.AppendLine($"Peak memory: one child process per method ({settings.ModelKey}, {memory[FineTuningMethod.LoRA].Count} round(s), 2 optimizer steps each), VmHWM.");
        md.AppendLine();
        md.AppendLine("| method | peak RSS (median) | ×LoRA | RSS after setup |");
        md.AppendLine("|---|---:|---:|---:|");
        double loraPeak = Statistics.Median(memory[FineTuningMethod.LoRA].Select(r => (double)r.PeakRssBytes));
        foreach (var method in InterleavedTiming.Order)
        {
            double methodPeak = Statistics.Median(memory[method].Select(r => (double)r.PeakRssBytes));
            double afterSetup = Statistics.Median(memory[method].Select(r => (double)r.RssAfterSetupBytes));
            md.AppendLine($"| {method} | {methodPeak / 1048576:F0} MiB | {methodPeak / loraPeak:F3} | {afterSetup / 1048576:F0} MiB |");
        }
        md.AppendLine();
        double deltaPeak = Statistics.Median(memory[FineTuningMethod.DeltaLoRA].Select(r => (double)r.PeakRssBytes));
        double fullPeak = Statistics.Median(memory[FineTuningMethod.Full].Select(r => (double)r.PeakRssBytes));
        targets.Add(($"Delta-LoRA/LoRA peak memory ≤ 1.02 ({name})", $"{deltaPeak / loraPeak:F3}", Verdict(deltaPeak / loraPeak <= 1.02)));
        targets.Add(($"Full/LoRA step time and peak memory (reported) ({name})", $"{Statistics.Median(timing.FullRatios):F3}, {fullPeak / loraPeak:F3}", "reported"));
    }

    private static void RenderInference(StringBuilder md, List<InferenceMeasurement> inferences, double peak, double cpuPeak, List<(string, string, string)> targets)
    {
        md.AppendLine("A DeltaLoRATransformer fitted by the catalog (a few Delta-LoRA steps, adapters merged) scores the SST-2 dev sentences with");
        md.AppendLine($"batched `Transform` (InferenceBatchSize {InferenceBenchmark.InferenceBatchSize}) and with `PredictionEngine.Predict`, one row at a time,");
        md.AppendLine($"in alternating rounds ({string.Join(", ", inferences.Select(m => $"{m.ModelKey} {m.Rounds.Count}"))}; each: GEMM probe, a batched pass over every sentence, a stretch of rows one at a time).");
        md.AppendLine();
        md.AppendLine("| model | batched rows/s | one-at-a-time rows/s | speed-up (wall; CPU time) | batched useful GFLOP/s | executed/real tokens | batched MFU (wall … CPU time) | one-at-a-time MFU (wall … CPU time) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var m in inferences)
        {
            string name = m.ModelKey == BenchmarkModel.BertKey ? "BERT-base shape" : "USE-Lite";
            double wall = m.BatchedWallMfu(peak), cpu = m.BatchedCpuTimeMfu(cpuPeak);
            md.AppendLine($"| {name} | {m.BatchedRowsPerSecond:F1} | {m.PerRowRowsPerSecond:F1} ({m.PerRowRows} rows) | {m.Speedup:F2}×; {m.CpuTimeSpeedup:F2}× | "
                + $"{m.BatchedUsefulFlopsPerSecond / 1e9:F1} | {m.ExecutedTokens / m.RealTokens:F3} | {wall:P1} … {cpu:P1} | {m.PerRowWallMfu(peak):P1} … {m.PerRowCpuTimeMfu(cpuPeak):P1} |");
            targets.Add(($"batched inference MFU ≥ 70 % ({name})", $"{wall:P1} … {cpu:P1}", Verdict(wall >= 0.7, cpu >= 0.7)));
            targets.Add(($"batched inference ≥ 5× one-at-a-time ({name})", $"{m.Speedup:F2}×; CPU time {m.CpuTimeSpeedup:F2}×", Verdict(m.Speedup >= 5, m.CpuTimeSpeedup >= 5)));
        }
        md.AppendLine();
        md.AppendLine($"Tokens: {string.Join("; ", inferences.Select(m => $"{m.ModelKey} {m.RealTokens:N0} real ({m.RealTokens / m.Rows:F1} per sentence), {m.ExecutedTokens:N0} in the padded batches"))}.");
        md.AppendLine($"Tokenizing every sentence once: {string.Join("; ", inferences.Select(m => $"{m.ModelKey} {m.TokenizingSeconds * 1000:F0} ms ({m.TokenizingSeconds / m.BatchedSeconds:P1} of a batched pass)"))}.");
        md.AppendLine($"Batched seconds per pass: {string.Join("; ", inferences.Select(m => $"{m.ModelKey} {string.Join(", ", m.Rounds.Select(r => r.BatchedSeconds.ToString("F2")))}"))}.");
        md.AppendLine($"GEMM probes (GFLOP/s): {string.Join("; ", inferences.Select(m => $"{m.ModelKey} {string.Join(", ", m.Rounds.Select(r => r.GemmGflops.ToString("F0")))}"))}.");
    }

    private static string Verdict(bool met) => met ? "met" : "**missed**";

    /// <summary>A utilisation target, given its wall figure (a lower bound under contention) and its optimistic CPU-time estimate.</summary>
    private static string Verdict(bool lowerBoundMeets, bool upperBoundMeets)
        => lowerBoundMeets ? "met" : upperBoundMeets ? "open (only the CPU-time estimate meets it)" : "**missed** (even by CPU time)";

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
