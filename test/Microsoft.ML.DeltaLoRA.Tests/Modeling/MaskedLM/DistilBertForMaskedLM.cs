using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Modeling.DistilBert;
using Microsoft.ML.DeltaLoRA.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// DistilBERT with its masked-LM head (Hugging Face <c>DistilBertForMaskedLM</c>):
/// vocab_projector(vocab_layer_norm(GELU(vocab_transform(h)))), the projector's weight tied to the word embeddings.
/// </summary>
internal sealed class DistilBertForMaskedLM : MaskedLanguageModel
{
    private readonly LayerNorm vocabLayerNorm;

    public DistilBertForMaskedLM(EncoderConfig config) : base(nameof(DistilBertForMaskedLM), config)
    {
        DistilBert = Child("distilbert", new DistilBertModel(config));
        VocabTransform = Child("vocab_transform", new LoRALinear(config.HiddenSize, config.HiddenSize));
        vocabLayerNorm = Child("vocab_layer_norm", LayerNorm(config.HiddenSize, 1e-12));
        VocabProjector = Child("vocab_projector", new TiedDecoderBias(config.VocabSize));
        HuggingFaceInitializer.Apply(VocabTransform, config);
        HuggingFaceInitializer.Apply(vocabLayerNorm, config);
    }

    public DistilBertModel DistilBert { get; }
    public LoRALinear VocabTransform { get; }
    public TiedDecoderBias VocabProjector { get; }
    public override PretrainedEncoder Encoder => DistilBert;
    public override IReadOnlyList<string> HeadParameterPrefixes { get; } = ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."];

    protected override Tensor PredictTokens(Tensor lastHiddenState)
    {
        using var projected = VocabTransform.forward(lastHiddenState);
        using var activated = functional.gelu(projected);
        using var normalized = vocabLayerNorm.forward(activated);
        return VocabProjector.forward(normalized, DistilBert.WordEmbeddingWeight);
    }
}
