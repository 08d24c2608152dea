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
    /// What one more forward pass costs, in padded tokens. Every pass pays a fixed price (launching each op of each layer) on top
    /// of its per-token work, so splitting a batch by length pays only when it saves more padding than one pass costs. On CPU a
    /// one-row forward of a short sentence (MiniLM, 25 tokens, 2 threads) takes about three times as long as the same row inside a
    /// length-sorted batch: the fixed price is that of some 48 batched tokens. The peers benchmark (<c>peers-diagnosis</c>)
    /// measures both again on other machines.
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
