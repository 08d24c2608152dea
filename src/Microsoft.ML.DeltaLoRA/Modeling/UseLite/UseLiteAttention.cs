using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// The pre-norm multi-head self-attention of a USE-Lite layer. The graph computes query, key and value with one fused
/// 1×1 convolution (<c>qkv_transform_single</c>); here they are three <see cref="LoRALinear"/> layers named
/// query/key/value (the kernel's column thirds, in that order) so adapters can wrap each. The output projection
/// (<c>output_transform_single</c>) may change the width (256→512 in layer 0).
/// </summary>
internal sealed class UseLiteAttention : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // Parameter names follow the checkpoint naming style.
    public readonly LayerNorm layer_norm;
    public readonly LoRALinear query;
    public readonly LoRALinear key;
    public readonly LoRALinear value;
    public readonly LoRALinear output;
#pragma warning restore IDE1006

    public UseLiteAttention(int width, int outputWidth, int numHeads, double layerNormEpsilon) : base(nameof(UseLiteAttention))
    {
        NumHeads = numHeads;
        HeadSize = width / numHeads;
        layer_norm = LayerNorm(width, eps: layerNormEpsilon);
        query = new LoRALinear(width, width);
        key = new LoRALinear(width, width);
        value = new LoRALinear(width, width);
        output = new LoRALinear(width, outputWidth);
        register_module(nameof(layer_norm), layer_norm);
        register_module(nameof(query), query);
        register_module(nameof(key), key);
        register_module(nameof(value), value);
        register_module(nameof(output), output);
    }

    public int NumHeads { get; }
    public int HeadSize { get; }

    /// <param name="hidden">[batch, sequence, width]</param>
    /// <param name="attentionBias">[batch, 1, 1, sequence]: 0 for real tokens, −1e9 for padding (added to the scores).</param>
    public override Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        var normalized = layer_norm.forward(hidden);
        // The graph scales the queries (by 1/√head size) before the dot products.
        using var queryScale = (1.0 / Math.Sqrt(HeadSize)).ToScalar();
        var q = SplitHeads(query.forward(normalized), batch, length).mul_(queryScale);
        var k = SplitHeads(key.forward(normalized), batch, length);
        var v = SplitHeads(value.forward(normalized), batch, length);
        var scores = q.matmul(k.transpose(-1, -2)).add_(attentionBias);
        var weights = functional.softmax(scores, -1);
        var context = weights.matmul(v).transpose(1, 2).reshape(batch, length, NumHeads * HeadSize);
        return output.forward(context).MoveToOuterDisposeScope();
    }

    private Tensor SplitHeads(Tensor projected, long batch, long length)
        => projected.view(batch, length, NumHeads, HeadSize).transpose(1, 2);
}
