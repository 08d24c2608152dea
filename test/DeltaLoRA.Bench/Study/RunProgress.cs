using System.Globalization;
using Microsoft.ML.DeltaLoRA;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// Receives the trainer's per-step reports (synchronously, on the training thread): keeps every step's loss for the loss
/// curves, keeps the validation metric the trainer reports after each epoch (when it was given a validation set: accuracy for
/// classification, mean squared error for regression), and prints a progress line every <c>logEvery</c> steps and at the last step.
/// </summary>
internal sealed class RunProgress(RunSpec spec, int totalSteps, int logEvery, TextWriter log) : IProgress<TrainingProgress>
{
    private readonly List<LossPoint> _losses = [];
    private readonly List<double> _validationByEpoch = [];

    public IReadOnlyList<LossPoint> Losses => _losses;

    /// <summary>The trainer's validation metric after epoch 1, 2, …; empty when training had no validation set.</summary>
    public IReadOnlyList<double> ValidationByEpoch => _validationByEpoch;

    public void Report(TrainingProgress value)
    {
        if (value.ValidationMetric is double metric) // a validation report repeats its step's loss: keep the metric only
        {
            _validationByEpoch.Add(metric);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{spec.Label}] epoch {_validationByEpoch.Count} validation metric {metric:0.0000}"));
            log.Flush();
            return;
        }
        _losses.Add(new LossPoint(value.Step, value.Loss));
        if (value.Step % logEvery == 0 || value.Step == totalSteps)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [{spec.Label}] step {value.Step}/{totalSteps} loss {value.Loss:0.0000} lr {value.LearningRate:0.###e+0} {value.ExamplesPerSecond:0.0} ex/s"));
            log.Flush();
        }
    }
}
