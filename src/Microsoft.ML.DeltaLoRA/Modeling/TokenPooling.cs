using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>Pooling over token states that respects padding.</summary>
internal static class TokenPooling
{
    /// <summary>
    /// The mean of <paramref name="states"/> [batch, sequence, hidden] over the positions where <paramref name="attentionMask"/>
    /// [batch, sequence] is 1, as sentence-transformers computes it (the count clamped at 1e-9, so an all-padding row gives zeros).
    /// </summary>
    public static Tensor Mean(Tensor states, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var weights = attentionMask.unsqueeze(-1).to(states.dtype);
        var sum = (states * weights).sum(1);
        using var floor = 1e-9.ToScalar();
        var count = weights.sum(1).clamp_min(floor);
        return (sum / count).MoveToOuterDisposeScope();
    }
}
