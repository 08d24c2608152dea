using System.Diagnostics;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Measures DeltaLoRA, LoRA and Full on the same shapes in one run and prints medians and ratios to LoRA against the targets
/// (Delta-LoRA/LoRA step time ≤ 1.03, peak memory ≤ 1.02): peak memory with each method in its own child process, step time
/// with the three methods stepped in turn in one process (see <see cref="InterleavedTiming"/>).
/// </summary>
internal static class ReportRunner
{
    private static readonly FineTuningMethod[] Order = [FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full];

    public static int Run(RunSettings memorySettings, int memoryRounds, int timingRounds)
    {
        var settings = memorySettings;
        Console.WriteLine($"BERT-base-shaped encoder (hidden 768, 12 heads, FFN 3072, vocabulary 30522, post-LayerNorm, GELU), {settings.Layers} layer(s), random weights;");
        Console.WriteLine($"batch {settings.BatchSize} × sequence {settings.SequenceLength}; {Environment.ProcessorCount} cores; TorchSharp CPU, float32.");
        Console.WriteLine("Options: paper defaults (r 8, α 16, adapters on query+value, AdamW, clipping 1.0) with K = 0, so every Delta-LoRA step also updates W.");

        Console.WriteLine();
        Console.WriteLine($"Peak memory: one child process per method, {settings.WarmupSteps + settings.TimedSteps} optimizer steps each, {memoryRounds} round(s).");
        var results = Order.ToDictionary(m => m, _ => new List<MethodMeasurement>());
        for (int round = 1; round <= memoryRounds; round++)
        {
            foreach (var method in Order)
            {
                var measurement = RunChild(method, settings);
                results[method].Add(measurement);
                Console.WriteLine($"  round {round} {method,-9}: peak RSS {Mib(measurement.PeakRssBytes),6:F0} MiB (at start {Mib(measurement.RssAtStartBytes):F0} MiB, after setup {Mib(measurement.RssAfterSetupBytes):F0} MiB)");
            }
        }
        var lora = Summarize(results[FineTuningMethod.LoRA]);
        var delta = Summarize(results[FineTuningMethod.DeltaLoRA]);
        var full = Summarize(results[FineTuningMethod.Full]);
        Console.WriteLine("method     trainable params   peak RSS (median)   ×LoRA");
        foreach (var method in Order)
        {
            var s = Summarize(results[method]);
            Console.WriteLine($"{method,-9} {s.Trainable,17:N0} {Mib(s.PeakRss),13:F0} MiB {s.PeakRss / lora.PeakRss,9:F3}");
        }

        Console.WriteLine();
        Console.WriteLine($"Step time: the three methods in one process, stepped in turn; {settings.WarmupSteps} warmup round(s), {timingRounds} timed round(s).");
        var timing = InterleavedTiming.Measure(settings, timingRounds);
        Console.WriteLine("method     wall time/step (median)   ×LoRA (median of per-round ratios)   CPU time/step (median)");
        foreach (var method in Order)
        {
            double ratio = method switch
            {
                FineTuningMethod.DeltaLoRA => Median(timing.DeltaLoRARatios),
                FineTuningMethod.Full => Median(timing.FullRatios),
                _ => 1,
            };
            Console.WriteLine($"{method,-9} {Median(timing.StepMilliseconds[method]),20:F0} ms {ratio,16:F3} {Median(timing.StepCpuMilliseconds[method]),30:F0} ms   (wall per step: {string.Join(", ", timing.StepMilliseconds[method].Select(t => t.ToString("F0")))} ms)");
        }
        double loraStep = Median(timing.StepMilliseconds[FineTuningMethod.LoRA]);
        double update = Median(timing.UpdateMilliseconds);
        Console.WriteLine($"Delta-LoRA update alone (all adapted layers, one step): median {update:F2} ms = {update / loraStep:P2} of a LoRA step.");

        double timeRatio = Median(timing.DeltaLoRARatios);
        Console.WriteLine();
        Console.WriteLine($"DeltaLoRA/LoRA step time {timeRatio:F3} wall, {Median(timing.DeltaLoRACpuRatios):F3} CPU (target ≤ 1.03): {Verdict(timeRatio <= 1.03)}");
        Console.WriteLine($"DeltaLoRA/LoRA peak memory {delta.PeakRss / lora.PeakRss:F3} (target ≤ 1.02): {Verdict(delta.PeakRss / lora.PeakRss <= 1.02)}");
        Console.WriteLine($"Full/LoRA peak memory {full.PeakRss / lora.PeakRss:F3} (expected clearly above 1): {Verdict(full.PeakRss / lora.PeakRss > 1.1)}");
        Console.WriteLine("Peak memory = the child process's VmHWM from /proc/self/status (peak resident set: libtorch native allocations, .NET heap, runtime),");
        Console.WriteLine("with MALLOC_MMAP_THRESHOLD_=131072 in the children so that freed tensor memory is returned to the OS.");
        return 0;
    }

    private static (double PeakRss, long Trainable) Summarize(List<MethodMeasurement> runs)
        => (Median(runs.Select(r => (double)r.PeakRssBytes).ToArray()), runs[0].TrainableParameters);

    private static MethodMeasurement RunChild(FineTuningMethod method, RunSettings settings)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        // A fixed mmap threshold stops glibc from raising it after large frees, so freed tensor memory goes back to the OS and the
        // peak resident set tracks live allocations instead of how the heap happened to fragment.
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = "131072";
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path to start a child process.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ReportRunner).Assembly.Location);
        foreach (var argument in new[] { "child", method.ToString(), $"{settings.Layers}", $"{settings.BatchSize}", $"{settings.SequenceLength}", $"{settings.WarmupSteps}", $"{settings.TimedSteps}" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(MethodRun.ResultPrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"The {method} measurement failed (exit code {process.ExitCode}): {output}");
        return MethodRun.Deserialize(line);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Mib(double bytes) => bytes / (1024 * 1024);

    private static string Verdict(bool met) => met ? "met" : "NOT met";
}
