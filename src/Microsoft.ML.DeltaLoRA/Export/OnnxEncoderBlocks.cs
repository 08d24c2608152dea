using static Microsoft.ML.DeltaLoRA.Export.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The pieces every exported encoder is made of, written node for node as torch.onnx writes Hugging Face's BERT, because
/// ONNX Runtime's transformer optimizer recognises exactly those patterns: <c>MatMul</c> + <c>Add</c> linears, the
/// Reshape/Transpose head split, <c>Div</c> by √d, the additive mask, <c>Softmax</c>, the erf GELU (Div/Erf/Add/Mul/Mul), and
/// opset 17's <c>LayerNormalization</c> after each residual <c>Add</c> (fused to SkipLayerNormalization). With
/// <paramref name="fusedAttention"/>, self-attention is written instead as ONNX Runtime's own <c>com.microsoft.Attention</c>
/// (<see cref="SelfAttention"/>), a graph that only ONNX Runtime runs.
/// </summary>
internal sealed class OnnxEncoderBlocks(OnnxGraphBuilder builder, ExportedWeights weights, int heads, int headSize, float layerNormEpsilon,
    bool fusedAttention)
{
    /// <summary>
    /// The mask every layer's <see cref="SelfAttention"/> reads: the <see cref="AdditiveMask"/>, or, for the fused attention,
    /// the mask itself as int32 [batch, sequence] (1 keep, 0 padding), the raw-mask form of <c>Attention</c>'s <c>mask_index</c>.
    /// </summary>
    public string AttentionMask(string attentionMask)
        => fusedAttention ? builder.Node("Cast", [attentionMask], Int("to", (long)DataType.Int32)) : AdditiveMask(attentionMask);

    /// <summary>
    /// The additive mask, [batch, 1, 1, sequence]: (1 − mask) · −10000, written as torch.onnx wrote Hugging Face's BERT (two Unsqueezes,
    /// Cast, Sub, Mul by −10000), the mask pattern ONNX Runtime's attention fusions look for. The TorchSharp network adds float.MinValue
    /// instead; both make a padding key's weight exp(score − 10000 − max) = 0 exactly in float32, so the scores are the same.
    /// </summary>
    private string AdditiveMask(string attentionMask)
    {
        var rows = builder.Node("Unsqueeze", attentionMask, builder.Int64Constant([1], 1));
        var expanded = builder.Node("Unsqueeze", rows, builder.Int64Constant([2], 1));
        var keep = builder.Node("Cast", [expanded], Int("to", (long)DataType.Float));
        var masked = builder.Node("Sub", builder.FloatScalar(1f), keep);
        return builder.Node("Mul", masked, builder.FloatScalar(-10000f));
    }

    /// <summary>LayerNormalization over the last axis with the weights <c>&lt;prefix&gt;.weight</c> and <c>.bias</c>.</summary>
    public string LayerNorm(string input, string prefix)
        => builder.Node("LayerNormalization", [input, weights.AsStored(prefix + ".weight"), weights.AsStored(prefix + ".bias")],
            Int("axis", -1), Float("epsilon", layerNormEpsilon));

    /// <summary>
    /// softmax(Q·Kᵀ/√d + mask)·V over the heads, from the projections named <paramref name="query"/>, <paramref name="key"/>
    /// and <paramref name="value"/>, with the mask <see cref="AttentionMask"/> made; returns the context [batch, sequence, hidden]
    /// before the output projection. Fused, it is one <c>com.microsoft.Attention</c> node (its scale defaults to 1/√d, and it
    /// adds −10000 where the raw mask is 0, as <see cref="AdditiveMask"/> does).
    /// </summary>
    public string SelfAttention(string hidden, string mask, string query, string key, string value)
    {
        if (fusedAttention)
        {
            var (packedWeight, packedBias) = weights.PackedProjections(query, key, value);
            return builder.OnnxRuntimeNode("Attention", [hidden, packedWeight, packedBias, mask], Int("num_heads", heads));
        }
        var q = SplitHeads(weights.Linear(hidden, query), [0, 2, 1, 3]);
        var kTransposed = SplitHeads(weights.Linear(hidden, key), [0, 2, 3, 1]);
        var v = SplitHeads(weights.Linear(hidden, value), [0, 2, 1, 3]);
        var scores = builder.Node("MatMul", q, kTransposed);
        var scaled = builder.Node("Div", scores, builder.FloatScalar(MathF.Sqrt(headSize)));
        var masked = builder.Node("Add", scaled, mask);
        var probabilities = builder.Node("Softmax", [masked], Int("axis", 3));
        var context = builder.Node("MatMul", probabilities, v);
        var merged = builder.Node("Transpose", [context], Ints("perm", 0, 2, 1, 3));
        return builder.Node("Reshape", merged, builder.Int64Constant([0, 0, heads * headSize], 3));
    }

    /// <summary>The exact GELU as torch.onnx spells it: x · (erf(x / √2) + 1) · 0.5.</summary>
    public string Gelu(string input)
    {
        var scaled = builder.Node("Div", input, builder.FloatScalar(MathF.Sqrt(2f)));
        var erf = builder.Node("Erf", scaled);
        var shifted = builder.Node("Add", erf, builder.FloatScalar(1f));
        var product = builder.Node("Mul", input, shifted);
        return builder.Node("Mul", product, builder.FloatScalar(0.5f));
    }

    /// <summary>The first token's state, [batch, hidden].</summary>
    public string FirstToken(string states) => builder.Node("Gather", [states, builder.Int64Constant([0])], Int("axis", 1));

    /// <summary>
    /// The mean of the token states where the mask is 1, as sentence-transformers (and <c>TokenPooling.Mean</c>) computes it:
    /// sum(states · mask) / max(sum(mask), 1e-9).
    /// </summary>
    public string MeanOfTokens(string states, string attentionMask)
    {
        var expanded = builder.Node("Unsqueeze", attentionMask, builder.Int64Constant([-1], 1));
        var weightsPerToken = builder.Node("Cast", [expanded], Int("to", (long)DataType.Float));
        var weighted = builder.Node("Mul", states, weightsPerToken);
        var sequenceAxis = builder.Int64Constant([1], 1);
        var sum = builder.Node("ReduceSum", [weighted, sequenceAxis], Int("keepdims", 0));
        var count = builder.Node("ReduceSum", [weightsPerToken, sequenceAxis], Int("keepdims", 0));
        var floored = builder.Node("Max", count, builder.FloatScalar(1e-9f));
        return builder.Node("Div", sum, floored);
    }

    /// <summary>[batch, sequence, hidden] → [batch, sequence, heads, head size], then transposed by <paramref name="permutation"/>.</summary>
    private string SplitHeads(string projection, long[] permutation)
    {
        var split = builder.Node("Reshape", projection, builder.Int64Constant([0, 0, heads, headSize], 4));
        return builder.Node("Transpose", [split], Ints("perm", permutation));
    }
}
