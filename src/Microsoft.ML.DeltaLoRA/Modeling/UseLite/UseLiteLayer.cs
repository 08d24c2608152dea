using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// One USE-Lite transformer layer: h = attention(x) + residual(x); out = h + feed_forward(h).
/// When the attention changes the width (layer 0: 256→512) the residual goes through a learned projection
/// (<c>residual_projection</c>, the graph's <c>AdjustResidualInput/dense</c>, applied to the un-normalized input).
/// </summary>
internal sealed class UseLiteLayer : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly UseLiteAttention attention;
    public readonly LoRALinear? residual_projection;
    public readonly UseLiteFeedForward feed_forward;
#pragma warning restore IDE1006

    public UseLiteLayer(int width, UseLiteConfig config) : base(nameof(UseLiteLayer))
    {
        attention = new UseLiteAttention(width, config.HiddenSize, config.NumHeads, config.LayerNormEpsilon);
        register_module(nameof(attention), attention);
        if (width != config.HiddenSize)
        {
            residual_projection = new LoRALinear(width, config.HiddenSize);
            register_module(nameof(residual_projection), residual_projection);
        }
        feed_forward = new UseLiteFeedForward(config.HiddenSize, config.IntermediateSize, config.LayerNormEpsilon);
        register_module(nameof(feed_forward), feed_forward);
    }

    public override Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(hidden, attentionBias);
        var residual = residual_projection?.forward(hidden) ?? hidden;
        var afterAttention = attended.add_(residual);
        var result = afterAttention + feed_forward.forward(afterAttention);
        return result.MoveToOuterDisposeScope();
    }
}
