using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>tanh(dense(first token's hidden state)) (<c>pooler.dense</c>).</summary>
internal sealed class BertPooler : HuggingFaceModule<Tensor, Tensor>
{
    public BertPooler(EncoderConfig config) : base(nameof(BertPooler))
    {
        Dense = Child("dense", new LoRALinear(config.HiddenSize, config.HiddenSize));
    }

    public LoRALinear Dense { get; }

    public override Tensor forward(Tensor lastHiddenState)
    {
        using var first = lastHiddenState.select(1, 0);
        using var projected = Dense.forward(first);
        return projected.tanh();
    }
}
