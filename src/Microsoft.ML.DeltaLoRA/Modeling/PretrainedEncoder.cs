using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// A bare encoder (Hugging Face <c>BertModel</c>, <c>RobertaModel</c>, <c>DistilBertModel</c>): token ids in, hidden states out.
/// <see cref="forward"/> returns the last hidden state; <see cref="Encode"/> returns everything.
/// </summary>
internal abstract class PretrainedEncoder : HuggingFaceModule<EncoderBatch, Tensor>
{
    protected PretrainedEncoder(string name, EncoderConfig config) : base(name)
    {
        Config = config;
    }

    public EncoderConfig Config { get; }

    public ModelFamily Family => Config.Family;

    /// <summary>
    /// Whether each batch's ids are checked against the vocabulary, token-type and length limits before the embedding
    /// lookup (clear errors instead of libtorch index failures). The check reads two values back from the device per batch;
    /// a caller that validates its batches itself may switch it off.
    /// </summary>
    public bool CheckInputs { get; set; } = true;

    /// <summary>The word embedding matrix [vocabulary, hidden], which masked-LM decoders share.</summary>
    public abstract Tensor WordEmbeddingWeight { get; }

    /// <summary>Runs the encoder; with <paramref name="outputHiddenStates"/> the embeddings and every layer's output are kept too.</summary>
    public abstract EncoderOutput Encode(EncoderBatch batch, bool outputHiddenStates = false);

    /// <summary>The last hidden state, [batch, sequence, hidden].</summary>
    public override Tensor forward(EncoderBatch batch)
    {
        var output = Encode(batch);
        output.PoolerOutput?.Dispose();
        return output.LastHiddenState;
    }
}
