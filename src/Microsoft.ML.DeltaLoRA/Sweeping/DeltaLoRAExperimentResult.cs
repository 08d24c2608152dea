using Microsoft.ML.DeltaLoRA.MLNet;
namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>What <see cref="DeltaLoRAExperiment.Run"/> found: the best model, its trial and every trial. Dispose it to free the model.</summary>
public sealed class DeltaLoRAExperimentResult(DeltaLoRATransformer bestModel, SweepTrial bestTrial, IReadOnlyList<SweepTrial> trials,
    SweepMetric metric, TimeSpan elapsed) : IDisposable
{
    /// <summary>The best trial's fitted model: the trainer's output, to append to the same preprocessing as the sweep's data.</summary>
    public DeltaLoRATransformer BestModel { get; } = bestModel;

    /// <summary>The best completed trial of the highest rung any trial completed (the largest budget reached).</summary>
    public SweepTrial BestTrial { get; } = bestTrial;

    /// <summary>The options that fit <see cref="BestModel"/> again (seed included).</summary>
    public DeltaLoRAOptions BestOptions => BestTrial.Options;

    /// <summary>Every trial, in the order they ran.</summary>
    public IReadOnlyList<SweepTrial> Trials { get; } = trials;

    public SweepMetric Metric { get; } = metric;

    public TimeSpan Elapsed { get; } = elapsed;

    public void Dispose() => BestModel.Dispose();
}
