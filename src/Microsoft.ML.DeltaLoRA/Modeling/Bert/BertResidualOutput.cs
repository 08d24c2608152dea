using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// A projection followed by dropout, the residual connection and LayerNorm: <c>attention.output.*</c> (hidden → hidden)
/// and the feed-forward <c>output.*</c> (intermediate → hidden) have this same shape.
/// </summary>
internal sealed class BertResidualOutput : HuggingFaceModule<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm layerNorm;
    private readonly Dropout dropout;

    public BertResidualOutput(EncoderConfig config, int inputSize) : base(nameof(BertResidualOutput))
    {
        Dense = Child("dense", new LoRALinear(inputSize, config.HiddenSize));
        layerNorm = Child("LayerNorm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        dropout = Child("dropout", Dropout(config.HiddenDropout));
    }

    public LoRALinear Dense { get; }

    /// <summary>LayerNorm(dropout(dense(<paramref name="hidden"/>)) + <paramref name="residual"/>).</summary>
    public override Tensor forward(Tensor hidden, Tensor residual)
    {
        using var projected = Dense.forward(hidden);
        using var dropped = dropout.forward(projected);
        using var sum = dropped.add(residual);
        return layerNorm.forward(sum);
    }
}
