using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>One transformer layer (<c>encoder.layer.N.*</c>): attention, then the feed-forward block, each with a residual LayerNorm.</summary>
internal sealed class BertLayer : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    public BertLayer(EncoderConfig config) : base(nameof(BertLayer))
    {
        Attention = Child("attention", new BertAttention(config));
        Intermediate = Child("intermediate", new BertIntermediate(config));
        Output = Child("output", new BertResidualOutput(config, config.IntermediateSize));
    }

    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertResidualOutput Output { get; }

    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        using var attended = Attention.forward(hidden, additiveMask);
        using var expanded = Intermediate.forward(attended);
        return Output.forward(expanded, attended);
    }
}
