using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>
/// One DistilBERT layer (<c>transformer.layer.N.*</c>): sa_layer_norm(attention(x) + x), then
/// output_layer_norm(ffn(h) + h).
/// </summary>
internal sealed class TransformerBlock : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly LayerNorm attentionNorm;
    private readonly LayerNorm outputNorm;

    public TransformerBlock(EncoderConfig config) : base(nameof(TransformerBlock))
    {
        Attention = Child("attention", new MultiHeadSelfAttention(config));
        attentionNorm = Child("sa_layer_norm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        Ffn = Child("ffn", new FeedForward(config));
        outputNorm = Child("output_layer_norm", LayerNorm(config.HiddenSize, config.LayerNormEps));
    }

    public MultiHeadSelfAttention Attention { get; }
    public FeedForward Ffn { get; }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = Attention.forward(hidden, additiveMask);
        using var attendedSum = attended.add(hidden);
        using var normalized = attentionNorm.forward(attendedSum);
        using var fed = Ffn.forward(normalized);
        using var fedSum = fed.add(normalized);
        return outputNorm.forward(fedSum);
    }
}
