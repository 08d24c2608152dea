namespace Microsoft.ML.DeltaLoRA.Benchmarks.Flops;

/// <summary>
/// The real (unpadded) lengths of the sequences of a batch or data set. Useful work is counted on real tokens only, so that
/// padding shows up as lost utilisation rather than as work: linear layers cost per token (Σ l), attention per pair of
/// tokens of the same sequence (Σ l²).
/// </summary>
internal sealed class SequenceLengths
{
    public SequenceLengths(IEnumerable<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        foreach (int length in lengths)
        {
            if (length < 1) throw new ArgumentOutOfRangeException(nameof(lengths), length, "Every sequence needs at least one token.");
            Count++;
            Tokens += length;
            SquaredTokens += (double)length * length;
        }
    }

    /// <summary><paramref name="count"/> sequences of <paramref name="length"/> tokens each.</summary>
    public static SequenceLengths Uniform(int count, int length) => new(Enumerable.Repeat(length, count));

    /// <summary>Number of sequences (the rows a pooled head sees).</summary>
    public int Count { get; }

    /// <summary>Σ l.</summary>
    public double Tokens { get; }

    /// <summary>Σ l².</summary>
    public double SquaredTokens { get; }
}
