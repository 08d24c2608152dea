using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>Step times of the three methods measured in one process, round-robin, with each method's useful FLOPs per step.</summary>
/// <remarks>CPU milliseconds are this process's user + system time over the step (all threads): less sensitive to other processes' load than wall time.</remarks>
internal sealed record TimingResult(
    Dictionary<FineTuningMethod, double[]> StepMilliseconds, Dictionary<FineTuningMethod, double[]> StepCpuMilliseconds,
    Dictionary<FineTuningMethod, double> FlopsPerStep, Dictionary<FineTuningMethod, long> TrainableParameters,
    double[] DeltaLoRARatios, double[] FullRatios, double[] DeltaLoRACpuRatios, double[] UpdateMilliseconds, double[] GemmProbeGflops)
{
    public double WallMfu(FineTuningMethod method, double peak) => Utilisation.Wall(FlopsPerStep[method], Statistics.Median(StepMilliseconds[method]) / 1000, peak);

    public double CpuTimeMfu(FineTuningMethod method, double peak) => Utilisation.CpuTime(FlopsPerStep[method], Statistics.Median(StepCpuMilliseconds[method]) / 1000, peak);
}

/// <summary>
/// On a shared machine, step times drift with other processes' load. Stepping the three methods in turn (LoRA, Delta-LoRA, Full,
/// LoRA, …) on three models of the same shape exposes neighbouring steps to the same load, so the per-round ratios are robust
/// even when absolute times are not. Each timed round starts with a short GEMM probe (a record of the load, and a candidate for
/// the run's peak). The Delta-LoRA update is also timed alone, since it is the only work Delta-LoRA adds.
/// </summary>
internal static class InterleavedTiming
{
    public static readonly FineTuningMethod[] Order = [FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full];

    public static TimingResult Measure(RunSettings settings, int rounds)
    {
        var benchmarkModel = settings.Model();
        var models = new Dictionary<FineTuningMethod, SequenceClassifier>();
        var tuners = new Dictionary<FineTuningMethod, FineTuner>();
        int totalSteps = settings.WarmupSteps + rounds;
        var lengths = Flops.SequenceLengths.Uniform(settings.BatchSize, settings.SequenceLength);
        var flops = new Dictionary<FineTuningMethod, double>();
        var trainable = new Dictionary<FineTuningMethod, long>();
        foreach (var method in Order)
        {
            models[method] = benchmarkModel.Create();
            tuners[method] = new FineTuner(models[method], settings.Options(method), totalSteps);
            flops[method] = benchmarkModel.TrainingFlops(models[method], lengths).Total;
            trainable[method] = models[method].parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        }
        using var batch = new TrainingBatch(benchmarkModel, settings);

        var times = Order.ToDictionary(m => m, _ => new List<double>());
        var cpuTimes = Order.ToDictionary(m => m, _ => new List<double>());
        var probes = new List<double>();
        for (int step = 1; step <= totalSteps; step++)
        {
            if (step > settings.WarmupSteps) probes.Add(GemmPeak.Probe());
            foreach (var method in Order)
            {
                var cpuBefore = Utilisation.ProcessorTime();
                var stopwatch = Stopwatch.StartNew();
                tuners[method].Step(batch.Batch, batch.Labels);
                double wall = stopwatch.Elapsed.TotalMilliseconds;
                double cpu = (Utilisation.ProcessorTime() - cpuBefore).TotalMilliseconds;
                if (step <= settings.WarmupSteps) continue;
                times[method].Add(wall);
                cpuTimes[method].Add(cpu);
            }
        }
        var updateTimes = TimeUpdateAlone(models[FineTuningMethod.DeltaLoRA], repetitions: 50);

        foreach (var method in Order)
        {
            tuners[method].Dispose();
            models[method].Dispose();
        }
        var lora = times[FineTuningMethod.LoRA];
        var loraCpu = cpuTimes[FineTuningMethod.LoRA];
        return new TimingResult(
            times.ToDictionary(t => t.Key, t => t.Value.ToArray()),
            cpuTimes.ToDictionary(t => t.Key, t => t.Value.ToArray()),
            flops, trainable,
            times[FineTuningMethod.DeltaLoRA].Select((t, i) => t / lora[i]).ToArray(),
            times[FineTuningMethod.Full].Select((t, i) => t / lora[i]).ToArray(),
            cpuTimes[FineTuningMethod.DeltaLoRA].Select((t, i) => t / loraCpu[i]).ToArray(),
            updateTimes, probes.ToArray());
    }

    private static double[] TimeUpdateAlone(SequenceClassifier model, int repetitions)
    {
        var layers = AdapterInjector.AdaptedLayers(model).Select(l => l.Layer).ToArray();
        using var update = new DeltaLoRAUpdate(layers, updateRatio: 0.5, startSteps: 0);
        var times = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            update.Apply(i + 1);
            times[i] = stopwatch.Elapsed.TotalMilliseconds;
        }
        return times;
    }
}
