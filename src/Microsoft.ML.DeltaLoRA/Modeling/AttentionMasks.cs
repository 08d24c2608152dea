using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>Attention masks as the encoders use them.</summary>
internal static class AttentionMasks
{
    /// <summary>
    /// The additive mask Hugging Face builds from a [batch, sequence] 0/1 mask: 0 where a token may be attended to and the
    /// most negative finite value of <paramref name="dtype"/> where it is padding, shaped [batch, 1, 1, sequence]
    /// to broadcast over heads and query positions.
    /// </summary>
    public static Tensor ToAdditive(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var keep = attentionMask.unsqueeze(1).unsqueeze(2).to(dtype);
        var additive = (1.0 - keep) * torch.finfo(dtype).min;
        return additive.MoveToOuterDisposeScope();
    }
}
