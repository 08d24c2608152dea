using System.Globalization;

namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// One progress report of a fine-tuning run, sent to <see cref="DeltaLoRAOptions.Progress"/> and written to <c>MLContext.Log</c>.
/// </summary>
/// <param name="Step">Optimizer steps done so far (1-based).</param>
/// <param name="Epoch">Passes over the training rows done so far, fractional (1.5 = half way through the second pass).</param>
/// <param name="Loss">Mean training loss over the steps since the previous report.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ExamplesPerSecond">Training throughput since the previous report.</param>
/// <param name="ValidationMetric">Metric on <see cref="DeltaLoRAOptions.ValidationSet"/> when it was evaluated at this step
/// (accuracy for classification, negative mean squared error for regression; higher is better), otherwise null.</param>
public sealed record TrainingProgress(int Step, double Epoch, double Loss, double LearningRate, double ExamplesPerSecond, double? ValidationMetric = null)
{
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"step {Step}, epoch {Epoch:0.00}, loss {Loss:0.0000}, learning rate {LearningRate:0.###e+0}, {ExamplesPerSecond:0.0} examples/s");
        return ValidationMetric is { } metric ? text + string.Create(CultureInfo.InvariantCulture, $", validation {metric:0.0000}") : text;
    }
}
