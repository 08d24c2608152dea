using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class EpochOrderTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 1000).Select(i => 5 + (i * 37 % 120)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryExampleAppearsOncePerEpochInSeededOrder(bool bucketing)
    {
        var epoch = FineTuner.PlanEpoch(Lengths, 16, bucketing, new Random(1));
        Assert.Equal(Enumerable.Range(0, Lengths.Length), epoch.SelectMany(b => b).Order());
        Assert.Equal(63, epoch.Count);
        Assert.Equal(epoch, FineTuner.PlanEpoch(Lengths, 16, bucketing, new Random(1)));
        Assert.NotEqual(epoch, FineTuner.PlanEpoch(Lengths, 16, bucketing, new Random(2)));
    }

    [Fact]
    public void LengthBucketingCutsPaddingButKeepsTheBatchOrderRandom()
    {
        static long Padding(List<int[]> batches) => batches.Sum(b => b.Length * (long)b.Max(i => Lengths[i]) - b.Sum(i => Lengths[i]));
        var shuffled = FineTuner.PlanEpoch(Lengths, 16, lengthBucketing: false, new Random(3));
        var bucketed = FineTuner.PlanEpoch(Lengths, 16, lengthBucketing: true, new Random(3));
        Assert.True(Padding(bucketed) * 5 < Padding(shuffled), $"padding {Padding(bucketed)} vs {Padding(shuffled)}");
        var longest = bucketed.Select(b => b.Max(i => Lengths[i])).ToArray();
        Assert.NotEqual(longest.OrderDescending(), longest); // batches are not served longest first
    }
}
