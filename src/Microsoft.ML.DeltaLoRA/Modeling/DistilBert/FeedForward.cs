using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>DistilBERT's feed-forward block (<c>ffn.lin1</c>, <c>ffn.lin2</c>): lin2(GELU(lin1(x))), then dropout.</summary>
internal sealed class FeedForward : HuggingFaceModule<Tensor, Tensor>
{
    private readonly Dropout dropout;

    public FeedForward(EncoderConfig config) : base(nameof(FeedForward))
    {
        Lin1 = Child("lin1", new LoRALinear(config.HiddenSize, config.IntermediateSize));
        Lin2 = Child("lin2", new LoRALinear(config.IntermediateSize, config.HiddenSize));
        dropout = Child("dropout", Dropout(config.HiddenDropout));
    }

    public LoRALinear Lin1 { get; }
    public LoRALinear Lin2 { get; }

    public override Tensor forward(Tensor hidden)
    {
        using var expanded = Lin1.forward(hidden);
        using var activated = functional.gelu(expanded);
        using var projected = Lin2.forward(activated);
        return dropout.forward(projected);
    }
}
