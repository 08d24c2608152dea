namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// Step counts of a run, all in optimizer steps: the total, the warmup, and Delta-LoRA's start step K.
/// </summary>
internal sealed record TrainingPlan(int TotalSteps, int WarmupSteps, int StartSteps)
{
    /// <summary>The plan for <paramref name="totalSteps"/> optimizer steps: warmup from the options (ratio rounded up), K = warmup unless set.</summary>
    public static TrainingPlan For(FineTuningSettings options, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"A run needs at least 1 optimizer step; found {totalSteps}.");
        int warmup = options.WarmupSteps ?? (int)Math.Ceiling(options.WarmupRatio * totalSteps);
        return new TrainingPlan(totalSteps, warmup, options.StartSteps ?? warmup);
    }

    /// <summary>
    /// The number of optimizer steps for <paramref name="exampleCount"/> examples: <see cref="FineTuningSettings.MaxSteps"/> when set,
    /// otherwise epochs × ⌈micro-batches per epoch / accumulation steps⌉ (an epoch's last, shorter accumulation window still makes a step).
    /// </summary>
    public static int CountSteps(FineTuningSettings options, int exampleCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxSteps is int maxSteps) return maxSteps;
        if (exampleCount < 1) throw new ArgumentOutOfRangeException(nameof(exampleCount), exampleCount, $"Training needs at least one example; found {exampleCount}.");
        long microBatchesPerEpoch = (exampleCount + (long)options.BatchSize - 1) / options.BatchSize;
        long stepsPerEpoch = (microBatchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
        long total = stepsPerEpoch * options.Epochs;
        if (total > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(options.Epochs), options.Epochs, $"{options.Epochs} epochs of {stepsPerEpoch} steps exceed {int.MaxValue} optimizer steps.");
        return (int)total;
    }
}
