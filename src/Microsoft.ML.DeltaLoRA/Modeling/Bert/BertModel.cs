using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// The BERT encoder (Hugging Face <c>BertModel</c>): <c>embeddings.*</c>, <c>encoder.layer.N.*</c> and, optionally, <c>pooler.*</c>.
/// RoBERTa is the same network with other position ids; see <see cref="Roberta.RobertaModel"/>.
/// </summary>
internal class BertModel : PretrainedEncoder
{
    public BertModel(EncoderConfig config, bool addPoolingLayer = true) : this(nameof(BertModel), config, addPoolingLayer)
    {
        if (config.Family != ModelFamily.Bert)
            throw new ArgumentOutOfRangeException(nameof(config), config.Family, "A BertModel needs a BERT config; use RobertaModel for RoBERTa.");
    }

    protected BertModel(string name, EncoderConfig config, bool addPoolingLayer) : base(name, config)
    {
        Embeddings = Child("embeddings", new BertEmbeddings(config));
        Encoder = Child("encoder", new BertEncoder(config));
        if (addPoolingLayer) Pooler = Child("pooler", new BertPooler(config));
        HuggingFaceInitializer.Apply(this, config);
    }

    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    /// <summary>Null when the model was built without a pooling layer (masked LM, RoBERTa classifier).</summary>
    public BertPooler? Pooler { get; }

    public override Tensor WordEmbeddingWeight => Embeddings.WordEmbeddingWeight;

    public override EncoderOutput Encode(EncoderBatch batch, bool outputHiddenStates = false)
    {
        if (CheckInputs) EncoderInputChecks.Check(batch, Config);
        var hiddenStates = outputHiddenStates ? new List<Tensor>() : null;
        Tensor? last = null;
        try
        {
            using var mask = AttentionMasks.ToAdditive(batch.AttentionMask, Embeddings.WordEmbeddingWeight.dtype);
            var embeddings = Embeddings.forward(batch.InputIds, batch.TokenTypeIds);
            last = Encoder.Run(embeddings, mask, hiddenStates);
            var pooled = Pooler?.forward(last);
            return new EncoderOutput(last, pooled, (IReadOnlyList<Tensor>?)hiddenStates ?? []);
        }
        catch
        {
            if (hiddenStates is null) last?.Dispose();
            else hiddenStates.ForEach(state => state.Dispose());
            throw;
        }
    }
}
