using Microsoft.ML.DeltaLoRA.Checkpoints;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// The graph of a <c>DistilBertForSequenceClassification</c>: word + position embeddings, the transformer layers
/// (sa_layer_norm(attention + x), output_layer_norm(ffn + h)) and the head classifier(ReLU(pre_classifier(h[:, 0]))).
/// </summary>
internal static class DistilBertOnnxExport
{
    public static string Build(OnnxGraphBuilder builder, ExportedWeights weights, EncoderConfig config, OnnxEncoderInputs inputs, bool fusedAttention)
    {
        const string prefix = "distilbert.";
        var blocks = new OnnxEncoderBlocks(builder, weights, config.NumAttentionHeads, config.HeadSize, (float)config.LayerNormEps, fusedAttention);

        var words = builder.Node("Gather", weights.AsStored(prefix + "embeddings.word_embeddings.weight"), inputs.InputIds);
        var positions = builder.Node("Gather", weights.AsStored(prefix + "embeddings.position_embeddings.weight"), BertOnnxExport.PositionIds(builder, inputs.InputIds));
        var hidden = blocks.LayerNorm(builder.Node("Add", words, positions), prefix + "embeddings.LayerNorm");
        var mask = blocks.AttentionMask(inputs.AttentionMask);
        for (int i = 0; i < config.NumLayers; i++)
        {
            var layer = $"{prefix}transformer.layer.{i}.";
            var context = blocks.SelfAttention(hidden, mask, layer + "attention.q_lin", layer + "attention.k_lin", layer + "attention.v_lin");
            var attended = blocks.LayerNorm(builder.Node("Add", weights.Linear(context, layer + "attention.out_lin"), hidden), layer + "sa_layer_norm");
            var expanded = blocks.Gelu(weights.Linear(attended, layer + "ffn.lin1"));
            hidden = blocks.LayerNorm(builder.Node("Add", weights.Linear(expanded, layer + "ffn.lin2"), attended), layer + "output_layer_norm");
        }
        var preClassified = builder.Node("Relu", weights.Linear(blocks.FirstToken(hidden), "pre_classifier"));
        return weights.Linear(preClassified, "classifier");
    }
}
