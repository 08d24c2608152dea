using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>DistilBERT's attention (<c>attention.q_lin</c>, <c>k_lin</c>, <c>v_lin</c>, <c>out_lin</c>), with dropout on the probabilities in training.</summary>
internal sealed class MultiHeadSelfAttention : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly int heads;
    private readonly int headSize;
    private readonly double attentionDropout;

    public MultiHeadSelfAttention(EncoderConfig config) : base(nameof(MultiHeadSelfAttention))
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        attentionDropout = config.AttentionDropout;
        QueryProjection = Child("q_lin", new LoRALinear(config.HiddenSize, config.HiddenSize));
        KeyProjection = Child("k_lin", new LoRALinear(config.HiddenSize, config.HiddenSize));
        ValueProjection = Child("v_lin", new LoRALinear(config.HiddenSize, config.HiddenSize));
        OutputProjection = Child("out_lin", new LoRALinear(config.HiddenSize, config.HiddenSize));
    }

    public LoRALinear QueryProjection { get; }
    public LoRALinear KeyProjection { get; }
    public LoRALinear ValueProjection { get; }
    public LoRALinear OutputProjection { get; }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var context = MultiHeadAttention.Attend(QueryProjection.forward(hidden), KeyProjection.forward(hidden), ValueProjection.forward(hidden),
            heads, headSize, additiveMask, training ? attentionDropout : 0);
        return OutputProjection.forward(context);
    }
}
