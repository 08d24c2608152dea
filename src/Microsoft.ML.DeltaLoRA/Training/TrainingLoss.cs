using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The loss summed over a micro-batch: cross-entropy for classification, squared error for regression (one output).
/// Summing, then dividing the accumulated gradients by the window's example count, gives the mean over the whole
/// accumulation window even when its micro-batches differ in size.
/// </summary>
internal static class TrainingLoss
{
    public static Tensor Sum(Tensor logits, Tensor labels, int numLabels)
    {
        if (numLabels == 1)
            return functional.mse_loss(logits.reshape(-1), labels.to_type(logits.dtype), reduction: Reduction.Sum);
        return functional.cross_entropy(logits, labels, reduction: Reduction.Sum);
    }

    /// <summary>Checks the label tensor against the batch and the head, so that errors name the problem instead of failing in libtorch.</summary>
    public static void Validate(Tensor labels, long batchSize, int numLabels)
    {
        if (labels.ndim != 1 || labels.shape[0] != batchSize)
            throw new ArgumentOutOfRangeException(nameof(labels), $"[{string.Join(", ", labels.shape)}]", $"Labels must have shape [{batchSize}] (one per sequence in the batch); found [{string.Join(", ", labels.shape)}].");
        if (numLabels == 1)
        {
            if (!labels.is_floating_point())
                throw new ArgumentOutOfRangeException(nameof(labels), labels.dtype, $"Regression labels must be a floating-point tensor; found {labels.dtype}.");
            return;
        }
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentOutOfRangeException(nameof(labels), labels.dtype, $"Class labels must be an Int64 tensor of class indices; found {labels.dtype}.");
        long min = labels.min().item<long>();
        long max = labels.max().item<long>();
        if (min < 0 || max >= numLabels)
            throw new ArgumentOutOfRangeException(nameof(labels), min < 0 ? min : max, $"Class labels must be in [0, {numLabels - 1}]; found {(min < 0 ? min : max)}.");
    }
}
