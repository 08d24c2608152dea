using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using TorchSharp;
using static TorchSharp.torch;

namespace DeltaLoRA.Bench.Embeddings;

/// <summary>
/// A pretrained encoder used as a fixed feature extractor: each text becomes one vector, in evaluation mode and without
/// gradients. Texts are batched by length (little padding); the vectors come back in the order of the texts.
/// </summary>
internal abstract class SentenceEmbedder(SequenceTokenizer tokenizer, int maxSequenceLength) : IDisposable
{
    private const int BatchSize = 64;

    public abstract int Dimension { get; }

    /// <summary>[batch, Dimension] sentence vectors of one padded batch.</summary>
    protected abstract Tensor EmbedBatch(EncoderBatch batch);

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var sequences = texts.Select(text => tokenizer.Encode(text, null, maxSequenceLength)).ToArray();
        var order = Enumerable.Range(0, sequences.Length).OrderBy(i => sequences[i].Length).ToArray();
        var vectors = new float[texts.Count][];
        using var noGrad = torch.no_grad();
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            var rows = order[start..Math.Min(start + BatchSize, order.Length)];
            using var scope = torch.NewDisposeScope();
            using var batch = BatchCollator.Collate(rows.Select(i => sequences[i]).ToArray(), tokenizer);
            var values = EmbedBatch(batch).to(ScalarType.Float32).contiguous().data<float>().ToArray();
            if (values.Length != rows.Length * Dimension)
                throw new InvalidOperationException($"The encoder returned {values.Length} values for {rows.Length} texts; expected {rows.Length} × {Dimension}.");
            for (int r = 0; r < rows.Length; r++) vectors[rows[r]] = values.AsSpan(r * Dimension, Dimension).ToArray();
        }
        return vectors;
    }

    public abstract void Dispose();
}
