using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>The first feed-forward projection and exact (erf) GELU (<c>intermediate.dense</c>).</summary>
internal sealed class BertIntermediate : HuggingFaceModule<Tensor, Tensor>
{
    public BertIntermediate(EncoderConfig config) : base(nameof(BertIntermediate))
    {
        Dense = Child("dense", new LoRALinear(config.HiddenSize, config.IntermediateSize));
    }

    public LoRALinear Dense { get; }

    public override Tensor forward(Tensor hidden)
    {
        using var projected = Dense.forward(hidden);
        return nn.functional.gelu(projected);
    }
}
