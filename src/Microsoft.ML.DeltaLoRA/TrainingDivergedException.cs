using System.Globalization;

namespace Microsoft.ML.DeltaLoRA;

/// <summary>
/// Training stopped because a micro-batch's loss was NaN or infinite: the weights have blown up (usually a learning rate
/// too high) and every later step and prediction would be meaningless. Nothing is returned or saved.
/// </summary>
public sealed class TrainingDivergedException : InvalidOperationException
{
    public TrainingDivergedException(int step, double loss, double learningRate)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Training diverged at optimizer step {step}: the loss is {loss}. Try a lower learning rate (this step's was {learningRate:0.###e+0}), for example a tenth of it."))
    {
        Step = step;
        Loss = loss;
        LearningRate = learningRate;
    }

    /// <summary>The 1-based optimizer step whose loss was not finite.</summary>
    public int Step { get; }

    public double Loss { get; }

    public double LearningRate { get; }
}
