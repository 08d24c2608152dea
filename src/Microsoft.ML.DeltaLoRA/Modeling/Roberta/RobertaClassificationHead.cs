using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.Roberta;

/// <summary>
/// RoBERTa's classification head (<c>classifier.dense</c>, <c>classifier.out_proj</c>), on the first token:
/// out_proj(dropout(tanh(dense(dropout(h[:, 0]))))).
/// </summary>
internal sealed class RobertaClassificationHead : HuggingFaceModule<Tensor, Tensor>
{
    private readonly Dropout dropout;

    public RobertaClassificationHead(EncoderConfig config, int numLabels) : base(nameof(RobertaClassificationHead))
    {
        Dense = Child("dense", new LoRALinear(config.HiddenSize, config.HiddenSize));
        dropout = Child("dropout", Dropout(config.EffectiveClassifierDropout));
        OutProj = Child("out_proj", new LoRALinear(config.HiddenSize, numLabels));
    }

    public LoRALinear Dense { get; }
    public LoRALinear OutProj { get; }

    public override Tensor forward(Tensor lastHiddenState)
    {
        using var first = lastHiddenState.select(1, 0);
        using var dropped = dropout.forward(first);
        using var projected = Dense.forward(dropped);
        using var activated = projected.tanh();
        using var droppedAgain = dropout.forward(activated);
        return OutProj.forward(droppedAgain);
    }
}
