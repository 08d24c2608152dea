using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>What a bi-encoder's head reads (Sentence-BERT's classification objective, Reimers and Gurevych 2019).</summary>
internal static class BiEncoderFeatures
{
    /// <summary>
    /// [u, v, |u−v|, u⊙v] per example, [n, 4·d], from the pooled rows of a pair batch [2n, d] (first texts in rows 0…n−1, second
    /// texts in rows n…2n−1); single-sequence batches pass through unchanged.
    /// </summary>
    public static Tensor Combine(Tensor pooled, EncoderBatch batch, SentencePairEncoding pairEncoding)
    {
        if (batch.HoldsPairs != (pairEncoding == SentencePairEncoding.BiEncoder))
            throw new InvalidOperationException(batch.HoldsPairs
                ? "This classifier reads text pairs as one sequence (a cross-encoder), but the batch holds bi-encoder pairs."
                : "This classifier is a bi-encoder, but the batch holds single sequences; encode each pair's texts separately.");
        if (!batch.HoldsPairs) return pooled;
        using var scope = NewDisposeScope();
        var halves = pooled.chunk(2, dim: 0);
        var (u, v) = (halves[0], halves[1]);
        return cat([u, v, (u - v).abs(), u * v], dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>The head's input size for sentence vectors of <paramref name="size"/>.</summary>
    public static long InputSize(long size, SentencePairEncoding pairEncoding) => pairEncoding == SentencePairEncoding.BiEncoder ? 4 * size : size;
}
