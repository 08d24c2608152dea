using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>Self-attention and its output block (<c>attention.self.*</c>, <c>attention.output.*</c>).</summary>
internal sealed class BertAttention : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    public BertAttention(EncoderConfig config) : base(nameof(BertAttention))
    {
        Self = Child("self", new BertSelfAttention(config));
        Output = Child("output", new BertResidualOutput(config, config.HiddenSize));
    }

    public BertSelfAttention Self { get; }
    public BertResidualOutput Output { get; }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var context = Self.forward(hidden, additiveMask);
        return Output.forward(context, hidden);
    }
}
