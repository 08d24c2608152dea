using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

public class LengthGroupsTests
{
    private const int PassCost = LengthGroups.ForwardPassCostInTokens;

    /// <summary>Padded tokens plus one forward pass per batch: what the grouping promises to minimise.</summary>
    private static long Cost(IEnumerable<int[]> batches, IReadOnlyList<int> lengths)
        => batches.Sum(batch => (long)batch.Length * batch.Max(row => lengths[row]) + PassCost);

    /// <summary>Every way to cut the sorted lengths into consecutive batches of at most <paramref name="batchSize"/>, by enumeration.</summary>
    private static long CheapestByEnumeration(int[] sorted, int batchSize)
    {
        long best = long.MaxValue;
        for (int cuts = 0; cuts < 1 << (sorted.Length - 1); cuts++) // bit i set: a batch ends after row i
        {
            long cost = 0;
            int start = 0;
            bool fits = true;
            for (int row = 0; row < sorted.Length && fits; row++)
            {
                if (row != sorted.Length - 1 && (cuts & (1 << row)) == 0) continue;
                int size = row + 1 - start;
                fits = size <= batchSize;
                cost += (long)size * sorted[row] + PassCost;
                start = row + 1;
            }
            if (fits) best = Math.Min(best, cost);
        }
        return best;
    }

    [Fact]
    public void The_cut_costs_what_the_cheapest_of_all_cuts_costs()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            var lengths = Enumerable.Range(0, random.Next(1, 13)).Select(_ => random.Next(1, trial % 2 == 0 ? 40 : 200)).ToArray();
            int batchSize = random.Next(1, 6);
            var batches = LengthGroups.Batches(lengths, batchSize).ToArray();

            Assert.Equal(Enumerable.Range(0, lengths.Length), batches.SelectMany(b => b).Order());
            Assert.All(batches, batch => Assert.InRange(batch.Length, 1, batchSize));
            var inOrder = batches.SelectMany(b => b).Select(row => lengths[row]).ToArray();
            Assert.Equal(inOrder.Order(), inOrder);
            Assert.Equal(CheapestByEnumeration(lengths.Order().ToArray(), batchSize), Cost(batches, lengths));
        }
    }

    [Fact]
    public void Rows_of_one_length_fill_whole_batches()
    {
        var lengths = Enumerable.Repeat(20, 70).ToArray();
        Assert.Equal([32, 32, 6], LengthGroups.Batches(lengths, 32).Select(b => b.Length));
    }

    [Fact]
    public void A_long_row_gets_its_own_pass_when_padding_the_others_to_it_costs_more()
    {
        var lengths = Enumerable.Repeat(10, 31).Append(128).ToArray(); // one batch would pad 31 rows by 118 tokens each
        var batches = LengthGroups.Batches(lengths, 32).ToArray();
        Assert.Equal([31, 1], batches.Select(b => b.Length));
        Assert.Equal([31], batches[1]);
    }

    [Fact]
    public void Equal_lengths_keep_their_row_order()
    {
        var lengths = new[] { 5, 3, 5, 3, 5 };
        Assert.Equal([1, 3, 0, 2, 4], LengthGroups.Batches(lengths, 8).SelectMany(b => b));
    }
}
