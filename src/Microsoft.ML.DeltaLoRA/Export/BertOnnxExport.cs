using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using static Microsoft.ML.DeltaLoRA.Export.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The graph of a BERT or RoBERTa classifier (<c>BertForSequenceClassification</c>, <c>RobertaForSequenceClassification</c>):
/// embeddings, the encoder layers, the pooling the head reads (BERT: pooler, first token or mean of tokens; RoBERTa: its
/// dense/tanh/out_proj head on the first token) and the classifier, on one sequence or (BERT bi-encoder) a pair. RoBERTa takes no token types (its single type row is added
/// to every token) and numbers positions from the padding id over non-padding tokens, as Hugging Face computes them.
/// </summary>
internal static class BertOnnxExport
{
    /// <summary>
    /// The logits of the classifier on one sequence (<paramref name="second"/> null), or, for a BERT bi-encoder, on the pair of
    /// sequences encoded separately by the same encoder, whose pooled vectors u and v the classifier reads as [u, v, |u−v|, u⊙v]
    /// (<c>BiEncoderFeatures</c>). <paramref name="fusedAttention"/>: as <see cref="OnnxEncoderBlocks"/> takes it.
    /// </summary>
    public static string Build(OnnxGraphBuilder builder, ExportedWeights weights, EncoderConfig config, SentencePooling pooling,
        OnnxEncoderInputs first, OnnxEncoderInputs? second, bool fusedAttention)
    {
        var prefix = config.ModelType + ".";
        var blocks = new OnnxEncoderBlocks(builder, weights, config.NumAttentionHeads, config.HeadSize, (float)config.LayerNormEps, fusedAttention);
        if (config.Family == ModelFamily.Roberta)
        {
            var dense = builder.Node("Tanh", weights.Linear(blocks.FirstToken(Encode(builder, weights, blocks, config, first)), "classifier.dense"));
            return weights.Linear(dense, "classifier.out_proj");
        }

        string Pool(OnnxEncoderInputs inputs)
        {
            var hidden = Encode(builder, weights, blocks, config, inputs);
            return pooling switch
            {
                SentencePooling.Pooler => builder.Node("Tanh", weights.Linear(blocks.FirstToken(hidden), prefix + "pooler.dense")),
                SentencePooling.ClsToken => blocks.FirstToken(hidden),
                _ => blocks.MeanOfTokens(hidden, inputs.AttentionMask),
            };
        }
        var u = Pool(first);
        if (second is null) return weights.Linear(u, "classifier");
        var v = Pool(second);
        var features = builder.Node("Concat", [u, v, builder.Node("Abs", builder.Node("Sub", u, v)), builder.Node("Mul", u, v)], Int("axis", 1));
        return weights.Linear(features, "classifier");
    }

    /// <summary>The last layer's token states, [batch, sequence, hidden].</summary>
    private static string Encode(OnnxGraphBuilder builder, ExportedWeights weights, OnnxEncoderBlocks blocks, EncoderConfig config, OnnxEncoderInputs inputs)
    {
        var prefix = config.ModelType + ".";
        var robertaPad = config.Family == ModelFamily.Roberta ? config.PadTokenId : (int?)null;
        var hidden = blocks.LayerNorm(Embeddings(builder, weights, prefix, robertaPad, inputs.InputIds, inputs.TokenTypeIds), prefix + "embeddings.LayerNorm");
        var mask = blocks.AttentionMask(inputs.AttentionMask);
        for (int i = 0; i < config.NumLayers; i++)
        {
            var layer = $"{prefix}encoder.layer.{i}.";
            var context = blocks.SelfAttention(hidden, mask, layer + "attention.self.query", layer + "attention.self.key", layer + "attention.self.value");
            var attended = blocks.LayerNorm(
                builder.Node("Add", weights.Linear(context, layer + "attention.output.dense"), hidden), layer + "attention.output.LayerNorm");
            var expanded = blocks.Gelu(weights.Linear(attended, layer + "intermediate.dense"));
            hidden = blocks.LayerNorm(builder.Node("Add", weights.Linear(expanded, layer + "output.dense"), attended), layer + "output.LayerNorm");
        }
        return hidden;
    }

    /// <summary>word + token type + position embeddings (before LayerNorm), [batch, sequence, hidden].</summary>
    private static string Embeddings(OnnxGraphBuilder builder, ExportedWeights weights, string prefix, int? robertaPadTokenId,
        string inputIds, string? tokenTypeIds)
    {
        var words = builder.Node("Gather", weights.AsStored(prefix + "embeddings.word_embeddings.weight"), inputIds);
        var types = builder.Node("Gather", weights.AsStored(prefix + "embeddings.token_type_embeddings.weight"),
            tokenTypeIds ?? builder.Int64Constant([0]));
        var positionIds = robertaPadTokenId is { } pad ? RobertaPositionIds(builder, inputIds, pad) : PositionIds(builder, inputIds);
        var positions = builder.Node("Gather", weights.AsStored(prefix + "embeddings.position_embeddings.weight"), positionIds);
        return builder.Node("Add", builder.Node("Add", words, types), positions);
    }

    /// <summary>
    /// 0, 1, …, sequence − 1 in every row: cumsum(ones like the ids) − 1. Counted from the ids rather than a Range over their
    /// length so that shape inference sees [batch, sequence] (not an unknown length): ONNX Runtime fuses a residual Add and
    /// LayerNorm into SkipLayerNormalization only where both shapes are known to agree.
    /// </summary>
    internal static string PositionIds(OnnxGraphBuilder builder, string inputIds)
    {
        var ones = builder.Node("Add", builder.Node("Mul", inputIds, builder.Int64Constant([0])), builder.Int64Constant([1]));
        var counted = builder.Node("CumSum", ones, builder.Int64Constant([1]));
        return builder.Node("Sub", counted, builder.Int64Constant([1]));
    }

    /// <summary>RoBERTa's positions: pad + cumsum(ids ≠ pad) · (ids ≠ pad), as <c>BertEmbeddings.RobertaPositionIds</c> computes them.</summary>
    private static string RobertaPositionIds(OnnxGraphBuilder builder, string inputIds, int padTokenId)
    {
        var pad = builder.Int64Constant([padTokenId]);
        var isPad = builder.Node("Equal", inputIds, pad);
        var notPad = builder.Node("Cast", [builder.Node("Not", isPad)], Int("to", (long)DataType.Int64));
        var counted = builder.Node("CumSum", notPad, builder.Int64Constant([1]));
        return builder.Node("Add", builder.Node("Mul", counted, notPad), pad);
    }
}
