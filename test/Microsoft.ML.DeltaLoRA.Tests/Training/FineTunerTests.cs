using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class FineTunerTests
{
    [Fact]
    public void SameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot()
    {
        var first = TrainAndSnapshot(seed: 21);
        var second = TrainAndSnapshot(seed: 21);
        var other = TrainAndSnapshot(seed: 22);
        foreach (var (name, tensor) in first)
            Assert.True(TinyData.BitIdentical(tensor, second[name]), $"{name} differs between two runs with the same seed.");
        Assert.Contains(first, p => !TinyData.BitIdentical(p.Value, other[p.Key]));
        foreach (var snapshot in new[] { first, second, other }) TinyData.DisposeAll(snapshot);

        static Dictionary<string, Tensor> TrainAndSnapshot(int seed)
        {
            FineTuner.SeedTorch(100); // the same base model and adapters; the options' seed fixes the order of the examples
            using var model = new TinyClassifier(dropoutProbability: 0.1);
            var options = new FineTuningOptions { Rank = 4, Alpha = 8, StartSteps = 2, LearningRate = 1e-2, BatchSize = 8, LengthBucketing = true, Seed = seed };
            using var tuner = new FineTuner(model, options, totalSteps: 10);
            var (sequences, labels) = TinyData.Examples(40, seed: 6);
            tuner.Train(sequences, labels, TinyData.PadTokenId, withTokenTypeIds: false);
            return TinyData.Snapshot(model);
        }
    }

    /// <summary>A learning rate far too high blows the weights up; training stops at the first non-finite loss, naming the step.</summary>
    [Fact]
    public void DivergingTrainingStopsAtTheFirstNonFiniteLoss()
    {
        torch.manual_seed(5);
        using var model = new TinyClassifier(dropoutProbability: 0);
        var options = new FineTuningOptions { Method = FineTuningMethod.Full, LearningRate = 1e6, BatchSize = 8, MaxGradientNorm = null, WarmupSteps = 0, Seed = 3 };
        using var tuner = new FineTuner(model, options, totalSteps: 50);
        var (sequences, labels) = TinyData.Examples(40, seed: 6);
        var losses = new List<double>();
        var error = Assert.Throws<TrainingDivergedException>(() => tuner.Train(sequences, labels, TinyData.PadTokenId, withTokenTypeIds: false,
            new SynchronousProgress(p => losses.Add(p.Loss))));

        Assert.All(losses, loss => Assert.True(double.IsFinite(loss)));
        Assert.Equal(losses.Count + 1, error.Step);
        Assert.Equal(tuner.CompletedSteps + 1, error.Step);
        Assert.Contains($"step {error.Step}", error.Message);
        Assert.Contains("lower learning rate", error.Message);
        Assert.Throws<InvalidOperationException>(() => { using var batch = TinyData.Batch(sequences.GetRange(0, 8)); using var y = TinyData.ClassLabels(labels.GetRange(0, 8)); tuner.Step(batch, y); });
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Theory]
    [InlineData(FineTuningMethod.DeltaLoRA, 4)]
    [InlineData(FineTuningMethod.DeltaLoRA, 5)] // unequal micro-batches (5 + 3): the mean must weight examples, not micro-batches
    [InlineData(FineTuningMethod.Full, 4)]
    public void AccumulatingTwoMicroBatchesEqualsOneBatchOfEight(FineTuningMethod method, int firstMicroBatch)
    {
        var (sequences, labels) = TinyData.Examples(24, seed: 7);
        var options = new FineTuningOptions { Method = method, Rank = 4, Alpha = 8, StartSteps = 1, LearningRate = 1e-2, MaxGradientNorm = 1.0, Seed = 8 };

        torch.manual_seed(30);
        using var whole = new TinyClassifier(dropoutProbability: 0);
        using var wholeTuner = new FineTuner(whole, options, totalSteps: 3);
        torch.manual_seed(30);
        using var accumulated = new TinyClassifier(dropoutProbability: 0);
        options.GradientAccumulationSteps = 2;
        using var accumulatedTuner = new FineTuner(accumulated, options, totalSteps: 3);

        for (int step = 0; step < 3; step++)
        {
            var stepSequences = sequences.GetRange(step * 8, 8);
            var stepLabels = labels.GetRange(step * 8, 8);
            using (var batch = TinyData.Batch(stepSequences))
            using (var y = TinyData.ClassLabels(stepLabels))
                wholeTuner.Step(batch, y);
            using (var part1 = TinyData.Batch(stepSequences.GetRange(0, firstMicroBatch)))
            using (var y1 = TinyData.ClassLabels(stepLabels.GetRange(0, firstMicroBatch)))
                accumulatedTuner.Step(part1, y1);
            Assert.Equal(step, accumulatedTuner.CompletedSteps);
            using (var part2 = TinyData.Batch(stepSequences.GetRange(firstMicroBatch, 8 - firstMicroBatch)))
            using (var y2 = TinyData.ClassLabels(stepLabels.GetRange(firstMicroBatch, 8 - firstMicroBatch)))
                accumulatedTuner.Step(part2, y2);
            Assert.Equal(step + 1, accumulatedTuner.CompletedSteps);
            Assert.Equal(wholeTuner.LastStepLoss, accumulatedTuner.LastStepLoss, 5);
        }

        var expected = whole.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in accumulated.named_parameters())
        {
            // The key bias shifts every attention score of a query equally, which softmax ignores: its true gradient is 0, and
            // Adam (g/√v) turns the float noise left in its place into full-size random steps, in both runs alike.
            if (name.EndsWith("key.bias")) continue;
            double error = (parameter - expected[name]).abs().max().item<float>();
            Assert.True(error <= 1e-5, $"{name} differs by {error} between accumulation and one batch.");
        }
    }

    [Fact]
    public void ProgressReportsEveryStepWithTheScheduledLearningRate()
    {
        using var model = new TinyClassifier();
        var options = new FineTuningOptions { LearningRate = 1e-3, WarmupSteps = 2, BatchSize = 4, GradientAccumulationSteps = 2, Epochs = 2, Seed = 1 };
        var (sequences, labels) = TinyData.Examples(20, seed: 9); // 5 micro-batches per epoch → 3 steps per epoch
        int totalSteps = FineTuner.CountSteps(options, sequences.Count);
        Assert.Equal(6, totalSteps);
        using var tuner = new FineTuner(model, options, totalSteps);
        var progress = new ListProgress<TrainingProgress>();

        var summary = tuner.Train(sequences, labels, TinyData.PadTokenId, withTokenTypeIds: false, progress);

        Assert.Equal(Enumerable.Range(1, 6), progress.Reports.Select(r => r.Step));
        Assert.Equal([8 / 20.0, 16 / 20.0, 1, 28 / 20.0, 36 / 20.0, 2], progress.Reports.Select(r => r.Epoch)); // windows of 8, 8, 4 examples
        double[] expectedRates = [0.5e-3, 1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3]; // s/W, then (T − c)/(T − W) with T = 6, W = 2, c = s − 1
        Assert.Equal(expectedRates, progress.Reports.Select(r => r.LearningRate), (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.All(progress.Reports, r => Assert.True(r.Loss > 0 && double.IsFinite(r.Loss) && r.ExamplesPerSecond > 0 && r.ValidationMetric is null));
        Assert.Equal(progress.Reports.Select(r => r.Loss), summary.StepLosses);
        Assert.Equal(6, summary.Steps);
        Assert.Equal(2, summary.Epochs);
    }

    [Fact]
    public void CancellationStopsBeforeTheNextMicroBatch()
    {
        using var model = new TinyClassifier();
        using var cancellation = new CancellationTokenSource();
        using var tuner = new FineTuner(model, new FineTuningOptions { BatchSize = 4, MaxSteps = 50, Seed = 2 }, 50);
        var progress = new ListProgress<TrainingProgress>(report => { if (report.Step == 3) cancellation.Cancel(); });
        var (sequences, labels) = TinyData.Examples(32, seed: 10);

        Assert.Throws<OperationCanceledException>(
            () => tuner.Train(sequences, labels, TinyData.PadTokenId, false, progress, cancellation.Token));
        Assert.Equal(3, tuner.CompletedSteps);
        Assert.Equal(3, progress.Reports.Count);
    }

    [Fact]
    public void LiveTensorCountDoesNotGrowOver100Steps()
    {
        using var model = new TinyClassifier();
        var options = new FineTuningOptions { BatchSize = 4, GradientAccumulationSteps = 2, MaxSteps = 100, Seed = 3, StartSteps = 5 };
        using var tuner = new FineTuner(model, options, 100);
        var (sequences, labels) = TinyData.Examples(36, seed: 11); // 9 micro-batches per epoch: partial windows happen too
        long threadLiveAtStep10 = 0, totalAtStep10 = 0;
        var progress = new ListProgress<TrainingProgress>(report =>
        {
            if (report.Step != 10) return;
            threadLiveAtStep10 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            totalAtStep10 = Tensor.TotalCount;
        });

        tuner.Train(sequences, labels, TinyData.PadTokenId, false, progress);

        Assert.Equal(100, tuner.CompletedSteps);
        Assert.Equal(threadLiveAtStep10, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        // Tensor.TotalCount is process-wide: finalizers of earlier tests' garbage may lower it meanwhile, never raise it.
        // A leak of even one tensor per step would add 90.
        Assert.InRange(Tensor.TotalCount, 0, totalAtStep10);
    }

    [Fact]
    public void RegressionUsesMeanSquaredError()
    {
        using var model = new TinyClassifier(numLabels: 1, dropoutProbability: 0);
        using var tuner = new FineTuner(model, new FineTuningOptions { Seed = 4 }, 5);
        var (sequences, _) = TinyData.Examples(6, seed: 12);
        float[] targets = [0.5f, -1f, 2f, 0f, 3.25f, 1f];
        using var batch = TinyData.Batch(sequences);
        using var y = torch.tensor(targets);
        double expected;
        using (torch.no_grad())
        using (var predictions = model.forward(batch))
            expected = Enumerable.Range(0, 6).Average(i => Math.Pow(predictions[i, 0].item<float>() - targets[i], 2));

        float loss = tuner.Step(batch, y);

        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void BadLabelsAndSequencesAreNamed()
    {
        using var model = new TinyClassifier();
        using var tuner = new FineTuner(model, new FineTuningOptions { MaxSequenceLength = 12, Seed = 5 }, 5);
        var (sequences, labels) = TinyData.Examples(6, seed: 13);
        using var batch = TinyData.Batch(sequences);

        using (var outOfRange = torch.tensor(new long[] { 0, 1, 2, 3, 0, 1 }))
            Assert.Contains("Class labels must be in [0, 2]; found 3", Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Step(batch, outOfRange)).Message);
        using (var wrongShape = torch.tensor(new long[] { 0, 1 }))
            Assert.Contains("shape [6]", Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Step(batch, wrongShape)).Message);
        using (var floats = torch.tensor(new float[] { 0, 1, 2, 0, 0, 1 }))
            Assert.Contains("Int64", Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Step(batch, floats)).Message);

        var fractional = labels.ToList();
        fractional[4] = 1.5f;
        Assert.Contains("Label 4 must be a class index in [0, 2]; found 1.5",
            Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Train(sequences, fractional, 0, false)).Message);
        var tooLong = sequences.ToList();
        tooLong[2] = new(new int[13], new int[13]);
        Assert.Contains("Sequence 2 has 13 tokens; expected 1 to MaxSequenceLength = 12",
            Assert.Throws<ArgumentOutOfRangeException>(() => tuner.Train(tooLong, labels, 0, false)).Message);
        Assert.Equal(0, tuner.CompletedSteps);
    }

    [Fact]
    public void StepAfterThePlanIsDoneOrAfterMergingIsRefused()
    {
        using var model = new TinyClassifier();
        using var tuner = new FineTuner(model, new FineTuningOptions { Seed = 6 }, 1);
        var (sequences, labels) = TinyData.Examples(4, seed: 14);
        using var batch = TinyData.Batch(sequences);
        using var y = TinyData.ClassLabels(labels);
        tuner.Step(batch, y);
        Assert.Contains("All 1 optimizer steps", Assert.Throws<InvalidOperationException>(() => tuner.Step(batch, y)).Message);
        tuner.MergeAdapters();
        Assert.Empty(AdapterInjector.AdaptedLayers(model));
        Assert.Contains("merged", Assert.Throws<InvalidOperationException>(() => tuner.Step(batch, y)).Message);
    }
}
