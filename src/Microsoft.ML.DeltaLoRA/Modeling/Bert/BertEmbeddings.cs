using Microsoft.ML.DeltaLoRA.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Microsoft.ML.DeltaLoRA.Architectures;

namespace Microsoft.ML.DeltaLoRA.Modeling.Bert;

/// <summary>
/// Word + position + token type embeddings, then LayerNorm and dropout (<c>embeddings.*</c> of BERT and RoBERTa).
/// BERT numbers positions 0, 1, 2, ...; RoBERTa numbers real tokens from <c>pad_token_id + 1</c> and gives padding
/// the position <c>pad_token_id</c>, computed from the input ids as Hugging Face does.
/// </summary>
internal sealed class BertEmbeddings : HuggingFaceModule<Tensor, Tensor?, Tensor>
{
    private readonly EncoderConfig config;
    private readonly Embedding wordEmbeddings;
    private readonly Embedding positionEmbeddings;
    private readonly Embedding tokenTypeEmbeddings;
    private readonly LayerNorm layerNorm;
    private readonly Dropout dropout;

    public BertEmbeddings(EncoderConfig config) : base(nameof(BertEmbeddings))
    {
        this.config = config;
        wordEmbeddings = Child("word_embeddings", Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId));
        positionEmbeddings = Child("position_embeddings", PositionsFollowPadding
            ? Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: config.PadTokenId)
            : Embedding(config.MaxPositionEmbeddings, config.HiddenSize));
        tokenTypeEmbeddings = Child("token_type_embeddings", Embedding(Math.Max(config.TypeVocabSize, 1), config.HiddenSize));
        layerNorm = Child("LayerNorm", LayerNorm(config.HiddenSize, config.LayerNormEps));
        dropout = Child("dropout", Dropout(config.HiddenDropout));
    }

    private bool PositionsFollowPadding => ModelFamilies.Of(config.Family).PositionsFollowPadding;

    /// <summary>The word embedding matrix [vocabulary, hidden], which masked-LM decoders share.</summary>
    public Tensor WordEmbeddingWeight => wordEmbeddings.weight!;

    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        using var scope = torch.NewDisposeScope();
        using var length = inputIds.shape[1].ToScalar();
        var positionIds = PositionsFollowPadding
            ? RobertaPositionIds(inputIds, config.PadTokenId)
            : torch.arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var types = tokenTypeIds ?? torch.zeros_like(inputIds);
        var sum = wordEmbeddings.forward(inputIds)
            .add_(tokenTypeEmbeddings.forward(types))
            .add_(positionEmbeddings.forward(positionIds));
        return dropout.forward(layerNorm.forward(sum)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// RoBERTa's positions: <c>pad + cumsum(ids != pad) * (ids != pad)</c>, so real tokens count from <c>pad + 1</c>
    /// wherever they sit and padding keeps position <c>pad</c> (whose embedding row is the padding row).
    /// </summary>
    internal static Tensor RobertaPositionIds(Tensor inputIds, long padTokenId)
    {
        using var scope = torch.NewDisposeScope();
        using var pad = padTokenId.ToScalar();
        var notPad = inputIds.ne(pad).to(ScalarType.Int64);
        var positions = notPad.cumsum(1).mul_(notPad).add_(pad);
        return positions.MoveToOuterDisposeScope();
    }
}
