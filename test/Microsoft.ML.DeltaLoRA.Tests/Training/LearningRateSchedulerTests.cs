using Microsoft.ML.DeltaLoRA.Training;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class LearningRateSchedulerTests
{
    // Expected values worked out by hand: warmup s / W for step s ≤ W (fairseq's), then Hugging Face's
    // get_linear_schedule_with_warmup decay max(0, (T − c) / (T − W)), with c = s − 1 the number of completed steps.
    [Fact]
    public void LinearWarmupLinearDecayWarmsUpFromTheFirstStepThenDecaysAsHuggingFace()
    {
        var scheduler = new LearningRateScheduler(LearningRateSchedule.LinearWarmupLinearDecay, peakLearningRate: 2.0, warmupSteps: 2, totalSteps: 10);
        double[] expected = [1, 2, 2, 2 * 7 / 8.0, 2 * 6 / 8.0, 2 * 5 / 8.0, 2 * 4 / 8.0, 2 * 3 / 8.0, 2 * 2 / 8.0, 2 * 1 / 8.0];
        var actual = Enumerable.Range(1, 10).Select(scheduler.LearningRateAt).ToArray();
        Assert.Equal(expected, actual, (a, b) => Math.Abs(a - b) < 1e-15);
    }

    [Fact]
    public void LinearDecayWithoutWarmupStartsAtThePeak()
    {
        var scheduler = new LearningRateScheduler(LearningRateSchedule.LinearWarmupLinearDecay, 1.0, warmupSteps: 0, totalSteps: 4);
        Assert.Equal([1, 0.75, 0.5, 0.25], Enumerable.Range(1, 4).Select(scheduler.LearningRateAt).ToArray());
    }

    [Fact]
    public void ConstantSchedulesHoldThePeak()
    {
        var withWarmup = new LearningRateScheduler(LearningRateSchedule.LinearWarmupConstant, 1.0, warmupSteps: 4, totalSteps: 8);
        Assert.Equal([0.25, 0.5, 0.75, 1, 1, 1, 1, 1], Enumerable.Range(1, 8).Select(withWarmup.LearningRateAt).ToArray());
        var constant = new LearningRateScheduler(LearningRateSchedule.Constant, 3e-4, warmupSteps: 4, totalSteps: 8);
        Assert.All(Enumerable.Range(1, 8).Select(constant.LearningRateAt), lr => Assert.Equal(3e-4, lr));
    }

    /// <summary>
    /// A run of one optimizer step (a batch as large as the data) warms up over that one step: with a rate of 0 it would
    /// save the pretrained weights unchanged. No step of any warmup length or run length has a rate of 0.
    /// </summary>
    [Fact]
    public void NoStepHasALearningRateOfZero()
    {
        var options = new FineTuningOptions { LearningRate = 5e-4 };
        Assert.Equal(5e-4, LearningRateScheduler.For(options, totalSteps: 1).LearningRateAt(1));
        foreach (var schedule in Enum.GetValues<LearningRateSchedule>())
            for (int total = 1; total <= 40; total++)
                foreach (int? warmup in new int?[] { null, 0, 1, total / 2, total, total + 3 })
                {
                    var scheduler = LearningRateScheduler.For(new FineTuningOptions { Schedule = schedule, WarmupSteps = warmup, LearningRate = 1 }, total);
                    Assert.All(Enumerable.Range(1, total), step => Assert.True(scheduler.LearningRateAt(step) > 0,
                        $"{schedule}, {total} steps, warmup {scheduler.WarmupSteps}: step {step} has a learning rate of 0"));
                }
    }

    [Fact]
    public void StepsCountFromOne()
    {
        var scheduler = new LearningRateScheduler(LearningRateSchedule.Constant, 1, 0, 3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.LearningRateAt(0));
        Assert.Contains("count from 1", error.Message);
    }

    [Fact]
    public void WarmupStepsComeFromTheOptionsWithTheRatioRoundedUp()
    {
        Assert.Equal(6, LearningRateScheduler.For(new FineTuningOptions(), totalSteps: 100).WarmupSteps);
        Assert.Equal(7, LearningRateScheduler.For(new FineTuningOptions(), 101).WarmupSteps); // ⌈6.06⌉
        Assert.Equal(3, LearningRateScheduler.For(new FineTuningOptions { WarmupSteps = 3 }, 50).WarmupSteps);
    }

    [Theory]
    [InlineData(100, 16, 1, 3, null, 21)]  // ⌈100/16⌉ = 7 micro-batches per epoch
    [InlineData(100, 16, 2, 3, null, 12)]  // ⌈7/2⌉ = 4 steps per epoch (the last window holds one micro-batch)
    [InlineData(96, 16, 3, 2, null, 4)]
    [InlineData(100, 16, 1, 3, 5, 5)]      // MaxSteps overrides epochs
    public void StepCountCoversEveryMicroBatchOfEveryEpoch(int examples, int batchSize, int accumulation, int epochs, int? maxSteps, int expected)
    {
        var options = new FineTuningOptions { BatchSize = batchSize, GradientAccumulationSteps = accumulation, Epochs = epochs, MaxSteps = maxSteps };
        Assert.Equal(expected, FineTuner.CountSteps(options, examples));
    }
}
