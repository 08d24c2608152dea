namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// One tokenized input (a text or a text pair) with the family's special tokens, truncated but not padded.
/// <see cref="TokenTypeIds"/> has the same length as <see cref="InputIds"/> (all zeros for families without segments).
/// A bi-encoder's pair is two sequences: the first text's here, the second text's in <see cref="Second"/>.
/// </summary>
internal sealed record EncodedSequence(int[] InputIds, int[] TokenTypeIds)
{
    /// <summary>The second text of a bi-encoder pair, encoded alone; null otherwise.</summary>
    public EncodedSequence? Second { get; init; }

    /// <summary>The tokens the encoder runs on for this input (both texts of a bi-encoder pair).</summary>
    public int Length => InputIds.Length + (Second?.InputIds.Length ?? 0);

    /// <summary>The longest single sequence of this input (what <c>MaxSequenceLength</c> bounds).</summary>
    public int LongestPart => Math.Max(InputIds.Length, Second?.InputIds.Length ?? 0);
}
