using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling.MaskedLM;

/// <summary>
/// An encoder with a masked-language-model head whose decoder shares the word embedding matrix (tied weights):
/// logits [batch, sequence, vocabulary]. Checkpoints store the decoder weight once, as the word embeddings.
/// </summary>
internal abstract class MaskedLanguageModel : HuggingFaceModule<EncoderBatch, Tensor>, IPretrainedTaskModel
{
    protected MaskedLanguageModel(string name, EncoderConfig config) : base(name)
    {
        Config = config;
    }

    public EncoderConfig Config { get; }
    public ModelFamily Family => Config.Family;
    public abstract PretrainedEncoder Encoder { get; }
    public abstract IReadOnlyList<string> HeadParameterPrefixes { get; }

    /// <summary>Vocabulary logits from the encoder's last hidden state.</summary>
    protected abstract Tensor PredictTokens(Tensor lastHiddenState);

    public override Tensor forward(EncoderBatch batch)
    {
        using var hidden = Encoder.forward(batch);
        return PredictTokens(hidden);
    }

    public TaskOutput Run(EncoderBatch batch, bool outputHiddenStates = false)
    {
        var output = Encoder.Encode(batch, outputHiddenStates);
        return new TaskOutput(PredictTokens(output.LastHiddenState), output);
    }
}
