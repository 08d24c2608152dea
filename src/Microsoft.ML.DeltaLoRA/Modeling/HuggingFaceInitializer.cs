using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Hugging Face's weight initialisation (<c>_init_weights</c>): linear and embedding weights ~ normal(0, initializer_range),
/// linear biases 0, padding embedding rows 0, LayerNorm weight 1 and bias 0. Weights a checkpoint does not provide
/// (a new task head) keep these values.
/// </summary>
internal static class HuggingFaceInitializer
{
    public static void Apply(Module root, EncoderConfig config)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, module) in root.named_modules().Prepend(("", root)))
        {
            switch (module)
            {
                case LoRALinear linear:
                    linear.weight.normal_(0, config.InitializerRange);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, config.InitializerRange);
                    if (HasPaddingRow(name, config) && config.PadTokenId < embedding.weight.shape[0])
                    {
                        using var paddingRow = embedding.weight[config.PadTokenId];
                        paddingRow.zero_();
                    }
                    break;
                case LayerNorm norm:
                    torch.nn.init.ones_(norm.weight!);
                    norm.bias?.zero_();
                    break;
            }
        }
    }

    /// <summary>Word embeddings keep a zero padding row; so do position embeddings that number from the pad id (RoBERTa: padding sits at position pad).</summary>
    private static bool HasPaddingRow(string name, EncoderConfig config)
        => name.EndsWith("word_embeddings", StringComparison.Ordinal)
        || (ModelFamilies.Of(config.Family).PositionsFollowPadding && name.EndsWith("position_embeddings", StringComparison.Ordinal));
}
