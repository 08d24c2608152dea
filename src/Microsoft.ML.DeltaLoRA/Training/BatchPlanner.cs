namespace Microsoft.ML.DeltaLoRA.Training;

/// <summary>
/// The order of the examples in one epoch, as micro-batches of indices: a seeded shuffle, and with length bucketing,
/// sequences of similar length in the same batch (sorted within chunks of 50 batches, then the batch order shuffled),
/// which cuts padding without making the batch order predictable.
/// </summary>
internal static class BatchPlanner
{
    private const int BatchesPerBucketingChunk = 50;

    public static List<int[]> PlanEpoch(IReadOnlyList<int> lengths, int batchSize, bool lengthBucketing, Random random)
    {
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        if (!lengthBucketing) return order.Chunk(batchSize).ToList();

        var batches = order
            .Chunk(batchSize * BatchesPerBucketingChunk)
            .SelectMany(chunk => chunk.OrderByDescending(index => lengths[index]).Chunk(batchSize))
            .ToArray();
        random.Shuffle(batches);
        return batches.ToList();
    }
}
