using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Benchmarks;

/// <summary>The model and shapes of one training measurement.</summary>
internal sealed record RunSettings(string ModelKey, int Layers, int BatchSize, int SequenceLength, int WarmupSteps, int TimedSteps)
{
    public BenchmarkModel Model() => BenchmarkModel.FromKey(ModelKey, Layers);

    /// <summary>Options of every benchmarked run: the paper defaults, with K = 0 so that every Delta-LoRA step also moves W.</summary>
    public FineTuningOptions Options(FineTuningMethod method)
        => new() { Method = method, StartSteps = 0, Seed = 0, BatchSize = BatchSize, MaxSequenceLength = SequenceLength };
}

/// <summary>What one process measured for one method.</summary>
internal sealed record MethodMeasurement(
    FineTuningMethod Method, double[] StepMilliseconds, long PeakRssBytes, long RssAfterSetupBytes, long RssAtStartBytes, long TrainableParameters, long TotalParameters);

/// <summary>
/// Runs one method in this process: builds the model with a fixed seed, trains on one fixed random batch, and reads the
/// process's peak resident set size (VmHWM in /proc/self/status, which covers libtorch's native allocations and the .NET heap).
/// One process per method, so that each peak is its own and freed memory of another method cannot be reused unseen.
/// </summary>
internal static class MethodRun
{
    public const string ResultPrefix = "RESULT ";

    public static MethodMeasurement Measure(FineTuningMethod method, RunSettings settings)
    {
        long rssAtStart = ProcessMemory.ReadStatusBytes("VmRSS");
        var benchmarkModel = settings.Model();
        using var model = benchmarkModel.Create();
        int totalSteps = settings.WarmupSteps + settings.TimedSteps;
        using var tuner = new FineTuner(model, settings.Options(method), totalSteps);
        using var batch = new TrainingBatch(benchmarkModel, settings);
        long rssAfterSetup = ProcessMemory.ReadStatusBytes("VmRSS");

        var times = new List<double>();
        for (int step = 1; step <= totalSteps; step++)
        {
            var stopwatch = Stopwatch.StartNew();
            tuner.Step(batch.Batch, batch.Labels);
            if (step > settings.WarmupSteps) times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        long total = model.parameters().Sum(p => p.numel());
        return new MethodMeasurement(method, times.ToArray(), ProcessMemory.ReadStatusBytes("VmHWM"), rssAfterSetup, rssAtStart, trainable, total);
    }

    public static string Serialize(MethodMeasurement measurement) => ResultPrefix + JsonSerializer.Serialize(measurement);

    public static MethodMeasurement Deserialize(string line) => JsonSerializer.Deserialize<MethodMeasurement>(line[ResultPrefix.Length..])
        ?? throw new InvalidDataException($"Could not read a measurement from '{line}'.");

    /// <summary>The command-line arguments of a child process that runs <see cref="Measure"/>.</summary>
    public static string[] ChildArguments(FineTuningMethod method, RunSettings settings)
        => ["child", method.ToString(), settings.ModelKey, $"{settings.Layers}", $"{settings.BatchSize}", $"{settings.SequenceLength}", $"{settings.WarmupSteps}", $"{settings.TimedSteps}"];

    /// <summary>Reads what <see cref="ChildArguments"/> wrote (without "child").</summary>
    public static (FineTuningMethod Method, RunSettings Settings) ParseChildArguments(string[] args)
        => (Enum.Parse<FineTuningMethod>(args[0]),
            new RunSettings(args[1], int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6])));
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
