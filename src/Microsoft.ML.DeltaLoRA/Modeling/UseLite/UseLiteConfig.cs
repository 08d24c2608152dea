namespace Microsoft.ML.DeltaLoRA.Modeling.UseLite;

/// <summary>
/// Sizes of Universal Sentence Encoder Lite as its TF.js graph defines them. The defaults are the pretrained model's:
/// 8,002 embedding rows of 256 (the 8,000 vocabulary pieces, ids not offset, plus two rows no token id reaches),
/// input 2·embedding + sinusoidal timing signal, two pre-norm transformer layers (not weight-shared) of 4 heads — layer 0 attends in 256 dimensions and projects to 512,
/// layer 1 attends in 512 — a 1,536-wide ReLU feed-forward, mean pooling, and a 512→512 tanh layer, L2-normalized.
/// </summary>
internal sealed record UseLiteConfig
{
    public int VocabularyRows { get; init; } = 8002;
    public int EmbeddingSize { get; init; } = 256;
    public int HiddenSize { get; init; } = 512;
    public int IntermediateSize { get; init; } = 1536;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 4;
    public int MaxPositions { get; init; } = 128;
    public double LayerNormEpsilon { get; init; } = 1e-6;

    /// <summary>Width a layer attends in: the embedding size for layer 0, the hidden size after it.</summary>
    public int AttentionWidth(int layer) => layer == 0 ? EmbeddingSize : HiddenSize;

    internal void Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(VocabularyRows), VocabularyRows), (nameof(EmbeddingSize), EmbeddingSize), (nameof(HiddenSize), HiddenSize),
                     (nameof(IntermediateSize), IntermediateSize), (nameof(NumLayers), NumLayers), (nameof(NumHeads), NumHeads),
                     (nameof(MaxPositions), MaxPositions),
                 })
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"UseLiteConfig.{name} must be positive.");
        }
        if (EmbeddingSize % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "The timing signal needs an even embedding size (sine and cosine halves).");
        for (int layer = 0; layer < NumLayers; layer++)
        {
            int width = AttentionWidth(layer);
            if (width % NumHeads != 0)
                throw new ArgumentOutOfRangeException(nameof(NumHeads), NumHeads, $"Layer {layer} attends in {width} dimensions, which {NumHeads} heads do not divide.");
        }
    }
}
