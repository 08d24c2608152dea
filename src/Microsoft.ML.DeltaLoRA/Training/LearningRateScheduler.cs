namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The learning rate of each optimizer step, with W warmup steps and T total steps. Optimizer step s (1-based) warms up as
/// s / W, reaching the peak at step W, as fairseq's schedules do; then decays linearly as Hugging Face's
/// <c>get_linear_schedule_with_warmup</c> does, (T − c) / (T − W) with c = s − 1 completed steps, so the last step is above 0.
/// Hugging Face's own warmup, c / W, gives the first step a rate of 0: a step that changes nothing, and a run of one
/// optimizer step (a batch as large as the data) that learns nothing. Here every step's rate is above 0.
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
        if (completedSteps < warmupSteps) return (double)(completedSteps + 1) / warmupSteps;
        if (schedule == LearningRateSchedule.LinearWarmupConstant) return 1;
        return Math.Max(0, (double)(totalSteps - completedSteps) / Math.Max(1, totalSteps - warmupSteps));
    }
}
