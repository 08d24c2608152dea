namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Inference batches of rows of similar length, so that each forward pass pads little: the rows in order of length (a stable
/// sort, so the grouping is the same every time), cut into batches of at most the batch size. The library's one grouping.
/// </summary>
internal static class LengthGroups
{
    /// <summary>Row indices per batch; every row appears once.</summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> lengths, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The inference batch size must be at least 1.");
        var order = Enumerable.Range(0, lengths.Count).OrderBy(row => lengths[row]).ToArray();
        for (int start = 0; start < order.Length; start += batchSize)
            yield return order[start..Math.Min(start + batchSize, order.Length)];
    }
}
