using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>The shapes and step counts of one measurement.</summary>
internal sealed record RunSettings(int Layers, int BatchSize, int SequenceLength, int WarmupSteps, int TimedSteps);

/// <summary>What one process measured for one method.</summary>
internal sealed record MethodMeasurement(
    FineTuningMethod Method, double[] StepMilliseconds, long PeakRssBytes, long RssAfterSetupBytes, long RssAtStartBytes, long TrainableParameters, long TotalParameters);

/// <summary>
/// Runs one method in this process: builds the BERT-shaped model with a fixed seed, trains on one fixed random batch, and reads
/// the process's peak resident set size (VmHWM in /proc/self/status, which covers libtorch's native allocations and the .NET heap).
/// One process per method, so that each peak is its own and freed memory of another method cannot be reused unseen.
/// </summary>
internal static class MethodRun
{
    public const string ResultPrefix = "RESULT ";

    public static MethodMeasurement Measure(FineTuningMethod method, RunSettings settings)
    {
        long rssAtStart = ProcessMemory.ReadStatusBytes("VmRSS");
        torch.manual_seed(0);
        using var model = new BertShapedClassifier(settings.Layers);
        var options = new FineTuningOptions { Method = method, StartSteps = 0, Seed = 0, BatchSize = settings.BatchSize };
        int totalSteps = settings.WarmupSteps + settings.TimedSteps;
        using var tuner = new FineTuner(model, options, totalSteps);
        using var inputIds = torch.randint(1, BertShapedClassifier.Vocabulary, [settings.BatchSize, settings.SequenceLength], dtype: torch.int64);
        using var attentionMask = torch.ones([settings.BatchSize, settings.SequenceLength], dtype: torch.int64);
        var batch = new EncoderBatch(inputIds, attentionMask);
        using var labels = torch.randint(0, model.NumLabels, [settings.BatchSize], dtype: torch.int64);
        long rssAfterSetup = ProcessMemory.ReadStatusBytes("VmRSS");

        var times = new List<double>();
        for (int step = 1; step <= totalSteps; step++)
        {
            var stopwatch = Stopwatch.StartNew();
            tuner.Step(batch, labels);
            if (step > settings.WarmupSteps) times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = model.parameters().Sum(p => p.numel());
        return new MethodMeasurement(method, times.ToArray(), ProcessMemory.ReadStatusBytes("VmHWM"), rssAfterSetup, rssAtStart, trainable, total);
    }

    public static string Serialize(MethodMeasurement measurement) => ResultPrefix + JsonSerializer.Serialize(measurement);

    public static MethodMeasurement Deserialize(string line) => JsonSerializer.Deserialize<MethodMeasurement>(line[ResultPrefix.Length..])
        ?? throw new InvalidDataException($"Could not read a measurement from '{line}'.");
}

internal static class ProcessMemory
{
    /// <summary>A "kB" field of /proc/self/status (VmRSS: resident now, VmHWM: peak resident), in bytes.</summary>
    public static long ReadStatusBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var kilobytes = line[(field.Length + 1)..].Trim().Split(' ')[0];
            return long.Parse(kilobytes) * 1024;
        }
        throw new InvalidDataException($"/proc/self/status has no {field} line (this measurement needs Linux).");
    }
}
