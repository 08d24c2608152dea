using System.Diagnostics;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>
/// Measures DeltaLoRA, LoRA and Full on the same shapes in one run: each method in its own child process, in rounds
/// (LoRA, DeltaLoRA, Full, LoRA, …) so that slow drifts of a shared machine hit all methods alike, then prints medians and
/// ratios to LoRA against the targets (Delta-LoRA/LoRA step time ≤ 1.03, peak memory ≤ 1.02).
/// </summary>
internal static class ReportRunner
{
    private static readonly FineTuningMethod[] Order = [FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full];

    public static int Run(RunSettings settings, int rounds)
    {
        Console.WriteLine($"BERT-base-shaped encoder (hidden 768, 12 heads, FFN 3072, vocabulary 30522), {settings.Layers} layer(s), random weights;");
        Console.WriteLine($"batch {settings.BatchSize} × sequence {settings.SequenceLength}; {settings.WarmupSteps} warmup + {settings.TimedSteps} timed optimizer steps per process; {rounds} round(s); {Environment.ProcessorCount} cores.");
        Console.WriteLine("Options: paper defaults (r 8, α 16, query+value, AdamW, clipping 1.0), K = 0 so every timed Delta-LoRA step updates W.");
        var results = Order.ToDictionary(m => m, _ => new List<MethodMeasurement>());
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var method in Order)
            {
                var measurement = RunChild(method, settings);
                results[method].Add(measurement);
                Console.WriteLine($"  round {round} {method,-9}: median step {Median(measurement.StepMilliseconds),8:F0} ms, peak RSS {Mib(measurement.PeakRssBytes),6:F0} MiB");
            }
        }

        var lora = Summarize(results[FineTuningMethod.LoRA]);
        Console.WriteLine();
        Console.WriteLine("method     trainable params   step time (median)   ×LoRA   peak RSS    ×LoRA   peak − RSS at start   ×LoRA");
        foreach (var method in Order)
        {
            var s = Summarize(results[method]);
            Console.WriteLine($"{method,-9} {s.Trainable,17:N0} {s.StepMs,15:F0} ms {s.StepMs / lora.StepMs,10:F3} {Mib(s.PeakRss),7:F0} MiB {s.PeakRss / lora.PeakRss,7:F3} {Mib(s.TrainingRss),13:F0} MiB {s.TrainingRss / lora.TrainingRss,11:F3}");
        }
        var delta = Summarize(results[FineTuningMethod.DeltaLoRA]);
        var full = Summarize(results[FineTuningMethod.Full]);
        Console.WriteLine();
        Console.WriteLine($"DeltaLoRA/LoRA step time {delta.StepMs / lora.StepMs:F3} (target ≤ 1.03): {Verdict(delta.StepMs / lora.StepMs <= 1.03)}");
        Console.WriteLine($"DeltaLoRA/LoRA peak memory {delta.PeakRss / lora.PeakRss:F3} (target ≤ 1.02): {Verdict(delta.PeakRss / lora.PeakRss <= 1.02)}");
        Console.WriteLine($"Full/LoRA peak memory {full.PeakRss / lora.PeakRss:F3} (expected clearly above 1): {Verdict(full.PeakRss / lora.PeakRss > 1.1)}");
        Console.WriteLine("Peak memory = the child process's VmHWM (peak resident set: libtorch native allocations, .NET heap and runtime).");
        return 0;
    }

    private static (double StepMs, double PeakRss, double TrainingRss, long Trainable) Summarize(List<MethodMeasurement> runs)
        => (Median(runs.SelectMany(r => r.StepMilliseconds).ToArray()),
            Median(runs.Select(r => (double)r.PeakRssBytes).ToArray()),
            Median(runs.Select(r => (double)(r.PeakRssBytes - r.RssAtStartBytes)).ToArray()),
            runs[0].TrainableParameters);

    private static MethodMeasurement RunChild(FineTuningMethod method, RunSettings settings)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
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
