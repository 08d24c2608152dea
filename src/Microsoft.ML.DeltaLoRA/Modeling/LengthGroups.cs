namespace Microsoft.ML.DeltaLoRA.Modeling;

/// <summary>
/// Inference batches of rows of similar length, so that each forward pass pads little: the rows in order of length (a stable
/// sort, so the grouping is the same every time), cut into consecutive batches of at most the batch size where the cuts
/// minimise the padded tokens plus <see cref="ForwardPassCostInTokens"/> per batch. Rows of one length fill whole batches;
/// a jump in length starts a new batch when the padding it saves outweighs the extra forward pass. The library's one grouping.
/// </summary>
internal static class LengthGroups
{
    /// <summary>
    /// What one more forward pass costs, in padded tokens. Measured on MiniLM with 2 threads (benchmarks, `peers-diagnosis`):
    /// a one-row forward of 25 tokens took 9.1 ms, a row of about 25 tokens inside length-sorted batches 3.3 ms, so a pass
    /// costs what some 48 batched tokens cost. With 48, the network scored Transform's windows over the SST-2 dev sentences
    /// 4.5 % faster than with whole batches (median of per-round ratios, results/peers-diagnosis-2026-12-01.md).
    /// </summary>
    public const int ForwardPassCostInTokens = 48;

    /// <summary>Row indices per batch, shortest rows first; every row appears once. Cost O(rows × min(rows, batch size)).</summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> lengths, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The inference batch size must be at least 1.");
        var order = Enumerable.Range(0, lengths.Count).OrderBy(row => lengths[row]).ToArray();

        // cheapest[j]: the least cost of batching the j shortest rows; batchStart[j]: where the last of those batches starts.
        // A batch of rows i..j-1 costs its rows × its longest row (the last, the rows being sorted) plus one forward pass.
        var cheapest = new long[order.Length + 1];
        var batchStart = new int[order.Length + 1];
        for (int end = 1; end <= order.Length; end++)
        {
            cheapest[end] = long.MaxValue;
            long longest = lengths[order[end - 1]];
            for (int start = end - 1; start >= Math.Max(0, end - batchSize); start--) // on ties the latest start: full batches, then the rest
            {
                long cost = cheapest[start] + (end - start) * longest + ForwardPassCostInTokens;
                if (cost < cheapest[end]) (cheapest[end], batchStart[end]) = (cost, start);
            }
        }
        var batches = new List<int[]>();
        for (int end = order.Length; end > 0; end = batchStart[end]) batches.Add(order[batchStart[end]..end]);
        batches.Reverse();
        return batches;
    }
}
