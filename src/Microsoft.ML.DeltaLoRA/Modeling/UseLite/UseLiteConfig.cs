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

    /// <summary>
    /// The weights these sizes declare: the embedding table and, per layer, the attention's query, key, value and output matrices,
    /// the residual projection where the width changes and the feed-forward's two matrices, then the pooler; biases and norms are
    /// left out, so this is a lower bound (as <see cref="Checkpoints.DeclaredWeights"/> is for the Hugging Face families).
    /// </summary>
    public double DeclaredWeightCount()
    {
        double hidden = HiddenSize;
        double Layer(double width) => 3 * width * width + width * hidden + (width != hidden ? width * hidden : 0) + 2 * hidden * IntermediateSize;
        return (double)VocabularyRows * EmbeddingSize + hidden * hidden + Layer(AttentionWidth(0)) + (NumLayers - 1.0) * Layer(hidden);
    }

    /// <summary>
    /// Checks a configuration read from a saved model (<paramref name="source"/>) before a network of its sizes is built: valid
    /// sizes, and no more weights than <paramref name="weightBytes"/> bytes of weights can hold (every weight takes at least one byte).
    /// A tampered file that declares 100,000 layers or a 10^9-row vocabulary would otherwise allocate gigabytes first.
    /// </summary>
    internal void RequireDescribes(long weightBytes, string source)
    {
        try
        {
            Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        double declared = DeclaredWeightCount();
        if (declared > weightBytes)
            throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{source} declares {NumLayers} layers of hidden size {HiddenSize} (embedding size {EmbeddingSize}, intermediate size {IntermediateSize}) " +
                $"and {VocabularyRows} vocabulary rows: at least {declared:N0} weights, but the weights present have {weightBytes:N0} bytes, too few " +
                $"to hold them; the configuration does not describe these weights."));
    }

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
