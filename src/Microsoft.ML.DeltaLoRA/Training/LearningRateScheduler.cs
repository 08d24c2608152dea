namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The learning rate of each optimizer step. The linear schedules are Hugging Face's <c>get_linear_schedule_with_warmup</c>
/// and <c>get_constant_schedule_with_warmup</c>: optimizer step s (1-based) uses the factor at c = s − 1 completed steps,
/// c / W during warmup, then (T − c) / (T − W) for linear decay (so the first warmup step has rate 0, and the last step is
/// above 0), with W warmup steps and T total steps.
/// </summary>
internal sealed class LearningRateScheduler(LearningRateSchedule schedule, double peakLearningRate, int warmupSteps, int totalSteps)
{
    /// <summary>The schedule of the options over <paramref name="totalSteps"/>: W from <see cref="FineTuningOptions.WarmupSteps"/>, else ⌈ratio · T⌉.</summary>
    public static LearningRateScheduler For(FineTuningOptions options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        int warmup = options.WarmupSteps ?? (int)Math.Ceiling(options.WarmupRatio * totalSteps);
        return new LearningRateScheduler(options.Schedule, options.LearningRate, warmup, totalSteps);
    }

    /// <summary>W, the warmup steps (also Delta-LoRA's default start step K).</summary>
    public int WarmupSteps => warmupSteps;

    public double LearningRateAt(int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, $"Optimizer steps count from 1; found {step}.");
        return peakLearningRate * Factor(step - 1);
    }

    private double Factor(int completedSteps)
    {
        if (schedule == LearningRateSchedule.Constant) return 1;
        if (completedSteps < warmupSteps) return (double)completedSteps / warmupSteps;
        if (schedule == LearningRateSchedule.LinearWarmupConstant) return 1;
        return Math.Max(0, (double)(totalSteps - completedSteps) / Math.Max(1, totalSteps - warmupSteps));
    }
}
