using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Roberta;
using Microsoft.ML.DeltaLoRA.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>RoBERTa with its masked-LM head (Hugging Face <c>RobertaForMaskedLM</c>): <c>roberta.*</c> (no pooler) and <c>lm_head.*</c>.</summary>
internal sealed class RobertaForMaskedLM : MaskedLanguageModel
{
    public RobertaForMaskedLM(EncoderConfig config) : base(nameof(RobertaForMaskedLM), config)
    {
        Roberta = Child("roberta", new RobertaModel(config, addPoolingLayer: false));
        LMHead = Child("lm_head", new RobertaLMHead(config));
        HuggingFaceInitializer.Apply(LMHead, config);
    }

    public RobertaModel Roberta { get; }
    public RobertaLMHead LMHead { get; }
    public override PretrainedEncoder Encoder => Roberta;
    public override IReadOnlyList<string> HeadParameterPrefixes { get; } = ["lm_head."];

    protected override Tensor PredictTokens(Tensor lastHiddenState) => LMHead.forward(lastHiddenState, Roberta.WordEmbeddingWeight);
}
