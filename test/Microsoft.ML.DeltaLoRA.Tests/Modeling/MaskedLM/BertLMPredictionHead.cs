using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// BERT's masked-LM prediction head (<c>cls.predictions.*</c>): transform = LayerNorm(GELU(dense(h))), then the decoder
/// transform · word_embeddingsᵀ + <c>bias</c>; the decoder weight is tied to the word embeddings.
/// </summary>
internal sealed class BertLMPredictionHead : HuggingFaceModule<Tensor, Tensor, Tensor>
{
    private readonly TransformBlock transform;
#pragma warning disable IDE1006 // Field name = parameter name, so that TorchSharp's device moves keep them together.
    private Parameter bias;
#pragma warning restore IDE1006

    public BertLMPredictionHead(EncoderConfig config) : base(nameof(BertLMPredictionHead))
    {
        transform = Child("transform", new TransformBlock(config));
        bias = new Parameter(torch.zeros(config.VocabSize));
        register_parameter(nameof(bias), bias);
    }

    public LoRALinear TransformDense => transform.Dense;

    public override Tensor forward(Tensor hidden, Tensor wordEmbeddings)
    {
        using var transformed = transform.forward(hidden);
        return functional.linear(transformed, wordEmbeddings, bias);
    }

    /// <summary><c>cls.predictions.transform.*</c>: dense, GELU, LayerNorm.</summary>
    private sealed class TransformBlock : HuggingFaceModule<Tensor, Tensor>
    {
        private readonly LayerNorm layerNorm;

        public TransformBlock(EncoderConfig config) : base("BertPredictionHeadTransform")
        {
            Dense = Child("dense", new LoRALinear(config.HiddenSize, config.HiddenSize));
            layerNorm = Child("LayerNorm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        }

        public LoRALinear Dense { get; }

        public override Tensor forward(Tensor hidden)
        {
            using var projected = Dense.forward(hidden);
            using var activated = functional.gelu(projected);
            return layerNorm.forward(activated);
        }
    }
}
