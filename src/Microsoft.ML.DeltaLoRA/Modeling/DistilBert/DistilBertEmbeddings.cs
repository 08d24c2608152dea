using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.DeltaLoRA.Modeling.DistilBert;

/// <summary>Word + position embeddings, LayerNorm and dropout (DistilBERT's <c>embeddings.*</c>; no token types).</summary>
internal sealed class DistilBertEmbeddings : HuggingFaceModule<Tensor, Tensor>
{
    private readonly Embedding wordEmbeddings;
    private readonly Embedding positionEmbeddings;
    private readonly LayerNorm layerNorm;
    private readonly Dropout dropout;

    public DistilBertEmbeddings(EncoderConfig config) : base(nameof(DistilBertEmbeddings))
    {
        wordEmbeddings = Child("word_embeddings", Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId));
        positionEmbeddings = Child("position_embeddings", Embedding(config.MaxPositionEmbeddings, config.HiddenSize));
        layerNorm = Child("LayerNorm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        dropout = Child("dropout", Dropout(config.HiddenDropout));
    }

    public Tensor WordEmbeddingWeight => wordEmbeddings.weight!;

    public override Tensor forward(Tensor inputIds)
    {
        using var scope = torch.NewDisposeScope();
        using var length = inputIds.shape[1].ToScalar();
        var positionIds = torch.arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var sum = wordEmbeddings.forward(inputIds).add_(positionEmbeddings.forward(positionIds));
        return dropout.forward(layerNorm.forward(sum)).MoveToOuterDisposeScope();
    }
}
