using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// RoBERTa's masked-LM head (<c>lm_head.dense</c>, <c>lm_head.layer_norm</c>, <c>lm_head.bias</c>):
/// layer_norm(GELU(dense(h))) · word_embeddingsᵀ + bias, the decoder weight tied to the word embeddings.
/// </summary>
internal sealed class RobertaLMHead : HuggingFaceModule<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm layerNorm;
#pragma warning disable IDE1006 // Field name = parameter name, so that TorchSharp's device moves keep them together.
    private Parameter bias;
#pragma warning restore IDE1006

    public RobertaLMHead(EncoderConfig config) : base(nameof(RobertaLMHead))
    {
        Dense = Child("dense", new LoRALinear(config.HiddenSize, config.HiddenSize));
        layerNorm = Child("layer_norm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        bias = new Parameter(torch.zeros(config.VocabSize));
        register_parameter(nameof(bias), bias);
    }

    public LoRALinear Dense { get; }

    public override Tensor forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var projected = Dense.forward(hidden);
        using var activated = functional.gelu(projected);
        using var normalized = layerNorm.forward(activated);
        return functional.linear(normalized, wordEmbeddings, bias);
    }
}
