using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.Bert;
using Microsoft.ML.DeltaLoRA.Modeling;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>BERT with its masked-LM head (Hugging Face <c>BertForMaskedLM</c>): <c>bert.*</c> (no pooler) and <c>cls.predictions.*</c>.</summary>
internal sealed class BertForMaskedLM : MaskedLanguageModel
{
    public BertForMaskedLM(EncoderConfig config) : base(nameof(BertForMaskedLM), config)
    {
        Bert = Child("bert", new BertModel(config, addPoolingLayer: false));
        var cls = Child("cls", new OnlyMLMHead(config));
        Predictions = cls.Predictions;
        HuggingFaceInitializer.Apply(cls, config);
    }

    public BertModel Bert { get; }
    public BertLMPredictionHead Predictions { get; }
    public override PretrainedEncoder Encoder => Bert;
    public override IReadOnlyList<string> HeadParameterPrefixes { get; } = ["cls."];

    protected override Tensor PredictTokens(Tensor lastHiddenState) => Predictions.forward(lastHiddenState, Bert.WordEmbeddingWeight);

    /// <summary>The <c>cls</c> module, which holds only <c>predictions</c>.</summary>
    private sealed class OnlyMLMHead : HuggingFaceModule<Tensor, Tensor>
    {
        public OnlyMLMHead(EncoderConfig config) : base("BertOnlyMLMHead")
        {
            Predictions = Child("predictions", new BertLMPredictionHead(config));
        }

        public BertLMPredictionHead Predictions { get; }

        public override Tensor forward(Tensor input) => throw new NotSupportedException("Call BertForMaskedLM instead: the decoder needs the word embeddings.");
    }
}
