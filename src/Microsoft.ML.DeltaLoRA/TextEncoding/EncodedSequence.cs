namespace Microsoft.ML.DeltaLoRA.TextEncoding;

/// <summary>
/// One tokenized input (a text or a text pair) with the family's special tokens, truncated but not padded.
/// <see cref="TokenTypeIds"/> has the same length as <see cref="InputIds"/> (all zeros for families without segments).
/// </summary>
internal sealed record EncodedSequence(int[] InputIds, int[] TokenTypeIds)
{
    public int Length => InputIds.Length;
}
