using Microsoft.ML.DeltaLoRA.Checkpoints;
using static TorchSharp.torch;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>The DistilBERT encoder (Hugging Face <c>DistilBertModel</c>): <c>embeddings.*</c> and <c>transformer.layer.N.*</c>; no pooler.</summary>
internal sealed class DistilBertModel : PretrainedEncoder
{
    public DistilBertModel(EncoderConfig config) : base(nameof(DistilBertModel), config)
    {
        if (config.Family != ModelFamily.DistilBert)
            throw new ArgumentOutOfRangeException(nameof(config), config.Family, "A DistilBertModel needs a DistilBERT config.");
        Embeddings = Child("embeddings", new DistilBertEmbeddings(config));
        Transformer = Child("transformer", new Transformer(config));
        HuggingFaceInitializer.Apply(this, config);
    }

    public DistilBertEmbeddings Embeddings { get; }
    public Transformer Transformer { get; }

    public override Tensor WordEmbeddingWeight => Embeddings.WordEmbeddingWeight;

    public override EncoderOutput Encode(EncoderBatch batch, bool outputHiddenStates = false)
    {
        if (CheckInputs) EncoderInputChecks.Check(batch, Config);
        var hiddenStates = outputHiddenStates ? new List<Tensor>() : null;
        Tensor? last = null;
        try
        {
            using var mask = AttentionMasks.ToAdditive(batch.AttentionMask, WordEmbeddingWeight.dtype);
            var embeddings = Embeddings.forward(batch.InputIds);
            last = Transformer.Run(embeddings, mask, hiddenStates);
            return new EncoderOutput(last, null, (IReadOnlyList<Tensor>?)hiddenStates ?? []);
        }
        catch
        {
            if (hiddenStates is null) last?.Dispose();
            else hiddenStates.ForEach(state => state.Dispose());
            throw;
        }
    }
}
