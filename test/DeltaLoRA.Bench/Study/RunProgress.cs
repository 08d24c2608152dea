using System.Globalization;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Receives the trainer's per-step reports (synchronously, on the training thread): keeps every step's loss for the loss
/// curves and prints a progress line every <c>logEvery</c> steps and at the last step.
/// </summary>
internal sealed class RunProgress(RunSpec spec, int totalSteps, int logEvery, TextWriter log) : IProgress<TrainingProgress>
{
    private readonly List<LossPoint> _losses = [];

    public IReadOnlyList<LossPoint> Losses => _losses;

    public void Report(TrainingProgress value)
    {
        if (value.ValidationMetric is not null) return; // validation reports repeat a step; this study validates after training
        _losses.Add(new LossPoint(value.Step, value.Loss));
        if (value.Step % logEvery == 0 || value.Step == totalSteps)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{spec.Label}] step {value.Step}/{totalSteps} loss {value.Loss:0.0000} lr {value.LearningRate:0.###e+0} {value.ExamplesPerSecond:0.0} ex/s"));
            log.Flush();
        }
    }
}
