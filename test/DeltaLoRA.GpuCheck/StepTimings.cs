using System.Globalization;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// (d, e) Our training step on the BERT-base and MiniLM shapes (random weights) at batch 32, length 128, fp32, for LoRA, Delta-LoRA
/// and full fine-tuning: mean step time and, on CUDA, peak allocator memory. build/cuda/peers.py measures transformers + PEFT and
/// plain PyTorch with the same settings (rank 8, α 16 on query and value, AdamW lr 1e-4, weight decay 0.01, no clipping, dropout 0.1).
/// The targets (issue #28) are judged from both reports together, so this section fails only when a step fails.
/// </summary>
internal static class StepTimings
{
    public static SectionResult Run(CheckOptions options, Device device)
    {
        var result = new SectionResult("steps", "(d) Training step time and peak memory (ours)");
        (int batchSize, int length) = options.Quick ? (4, 16) : (32, 128);
        int warmup = options.Quick ? 1 : 3;
        result.Columns.AddRange(["shape", "method", "batch × length", "step ms", "peak MiB", "vs LoRA time", "vs LoRA memory"]);
        foreach (var shape in options.Shapes)
        {
            var lora = default((double Ms, long? Peak));
            foreach (var method in new[] { FineTuningMethod.LoRA, FineTuningMethod.DeltaLoRA, FineTuningMethod.Full })
            {
                var (ms, peak) = Measure(shape, method, batchSize, length, warmup, options.TimedSteps, device);
                if (method == FineTuningMethod.LoRA) lora = (ms, peak);
                if (!double.IsFinite(ms) || ms <= 0) result.Fail($"{shape.Name} {method}: step time {ms}");
                result.Rows.Add([shape.Name, method.ToString(), $"{batchSize} × {length}", ms.ToString("0.00", CultureInfo.InvariantCulture),
                    peak is long bytes ? (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) : "n/a",
                    (ms / lora.Ms).ToString("0.000", CultureInfo.InvariantCulture),
                    peak is long p && lora.Peak is long lp ? ((double)p / lp).ToString("0.000", CultureInfo.InvariantCulture) : "n/a"]);
            }
        }
        result.Summary = $"fp32 on {device}, {options.TimedSteps} timed steps after {warmup} warm-up steps, one fixed random batch; rank 8, α 16, "
            + "query and value; AdamW lr 1e-4, weight decay 0.01, no clipping; Delta-LoRA λ 0.5 from step 1. "
            + (device.type == DeviceType.CUDA ? "Peak memory: CUDA caching allocator, as torch.cuda.max_memory_allocated." : "Peak memory is measured on CUDA only.")
            + " Targets: Delta-LoRA ≤ 1.03× LoRA's time and ≤ 1.02× its memory.";
        return result;
    }

    private static (double Ms, long? PeakBytes) Measure(ModelShape shape, FineTuningMethod method, int batchSize, int length, int warmup, int timed, Device device)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        bool measuresMemory = DeviceClock.ResetPeakMemory(device);
        using var model = shape.Create(device);
        var options = new FineTuningOptions
        {
            Method = method, Rank = 8, Alpha = 16, UpdateRatio = 0.5, StartSteps = 0, LearningRate = 1e-4, Schedule = LearningRateSchedule.Constant,
            WeightDecay = 0.01, MaxGradientNorm = null, BatchSize = batchSize,
        };
        using var tuner = new FineTuner(model, options, totalSteps: warmup + timed);
        var (batch, labels) = shape.RandomBatch(batchSize, length, device);
        using var batchScope = batch;
        using var labelScope = labels;
        for (int i = 0; i < warmup; i++) tuner.Step(batch, labels);
        double ms = DeviceClock.MeanMilliseconds(device, timed, () => tuner.Step(batch, labels));
        return (ms, measuresMemory ? DeviceClock.PeakMemoryBytes(device) : null);
    }
}
