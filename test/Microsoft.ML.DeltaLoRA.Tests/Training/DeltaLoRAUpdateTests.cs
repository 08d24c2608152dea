using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Training;

public class DeltaLoRAUpdateTests
{
    [Fact]
    public void UpdateAfterStepKPlusOneUsesTheSnapshotTakenAtStepK()
    {
        torch.manual_seed(11);
        using var layer = new LoRALinear(6, 5);
        layer.AttachAdapter(rank: 2, alpha: 4); // scaling 2
        using var update = new DeltaLoRAUpdate([layer], updateRatio: 0.5, startSteps: 1);
        using var w0 = layer.weight.detach().clone();

        // Step 1 (s = K): the adapters move, W must not, but the snapshot must now hold B_1, A_1.
        var (b1, a1) = MoveAdapters(layer);
        update.Apply(1);
        Assert.True(TinyData.BitIdentical(layer.weight, w0));

        // Step 2 (s = K + 1): W += λ·s·(B_2·A_2 − B_1·A_1).
        var (b2, a2) = MoveAdapters(layer);
        update.Apply(2);
        using var expected2 = w0.to_type(ScalarType.Float64) + 0.5 * 2 * (b2.matmul(a2) - b1.matmul(a1));
        AssertClose(expected2, layer.weight, 1e-6);

        // Step 3: W += λ·s·(B_3·A_3 − B_2·A_2).
        var (b3, a3) = MoveAdapters(layer);
        update.Apply(3);
        using var expected3 = expected2 + 0.5 * 2 * (b3.matmul(a3) - b2.matmul(a2));
        AssertClose(expected3, layer.weight, 1e-6);
    }

    /// <summary>
    /// The telescoping oracle. Applying the rule after every step s = K+1 … T and summing:
    ///   W_T − W_0 = Σ_{s=K+1}^{T} λ·c·(B_s·A_s − B_{s−1}·A_{s−1}) = λ·c·(B_T·A_T − B_K·A_K),
    /// because the first term subtracts B_K·A_K (the product after step K) and every later one cancels its predecessor.
    /// The form "λ·c·(B_T·A_T − B_{K+1}·A_{K+1})" would mean the first update at K+1 is skipped (the sum starting at K+2);
    /// the test checks that it does not hold, by a margin far above the float tolerance.
    /// </summary>
    [Fact]
    public void WeightChangeTelescopesToTheChangeOfBASinceStepK()
    {
        const int totalSteps = 50, startSteps = 10, rank = 4;
        const double updateRatio = 0.5, alpha = 8, scaling = alpha / rank;
        using var model = new TinyClassifier(hidden: 32);
        var options = new FineTuningOptions
        {
            Method = FineTuningMethod.DeltaLoRA, Rank = rank, Alpha = alpha, UpdateRatio = updateRatio, StartSteps = startSteps,
            LearningRate = 1e-2, Schedule = LearningRateSchedule.Constant, Seed = 5,
        };
        using var tuner = new FineTuner(model, options, totalSteps);
        var layers = AdapterInjector.AdaptedLayers(model);
        Assert.Equal(4, layers.Count);
        var w0 = layers.Select(l => l.Layer.weight.detach().to_type(ScalarType.Float64)).ToArray();
        Tensor[] productAtK = [], productAtKPlus1 = [];

        var (sequences, labels) = TinyData.Examples(totalSteps * 8, seed: 2);
        for (int s = 1; s <= totalSteps; s++)
        {
            using var batch = TinyData.Batch(sequences.GetRange((s - 1) * 8, 8));
            using var batchLabels = TinyData.ClassLabels(labels.GetRange((s - 1) * 8, 8));
            tuner.Step(batch, batchLabels);
            if (s == startSteps) productAtK = layers.Select(l => LowRankProduct(l.Layer)).ToArray();
            if (s == startSteps + 1) productAtKPlus1 = layers.Select(l => LowRankProduct(l.Layer)).ToArray();
        }

        for (int i = 0; i < layers.Count; i++)
        {
            using var change = layers[i].Layer.weight.detach().to_type(ScalarType.Float64) - w0[i];
            using var productAtT = LowRankProduct(layers[i].Layer);
            using var oracle = updateRatio * scaling * (productAtT - productAtK[i]);
            using var wrongOracle = updateRatio * scaling * (productAtT - productAtKPlus1[i]);
            double scale = oracle.norm().item<double>();
            Assert.True(scale > 1e-3, $"{layers[i].Name}: W barely moved ({scale}), the oracle would be vacuous.");

            double error = (change - oracle).norm().item<double>();
            Assert.True(error <= 1e-5 * scale, $"{layers[i].Name}: ‖W_T − W_0 − λc(B_T A_T − B_K A_K)‖ = {error}, ‖oracle‖ = {scale}.");
            double wrongError = (change - wrongOracle).norm().item<double>();
            Assert.True(wrongError > 100 * Math.Max(error, 1e-7 * scale), $"{layers[i].Name}: the K+1 form fits too ({wrongError} vs {error}).");

            // rank(B_T A_T − B_K A_K) ≤ 2r; generically it is 2r, so more than r singular values stand out.
            using var singularValues = torch.linalg.svdvals(change);
            double largest = singularValues[0].item<double>();
            using var threshold = (1e-4 * largest).ToScalar();
            int numericalRank = (int)singularValues.gt(threshold).sum().item<long>();
            Assert.InRange(numericalRank, rank + 1, 2 * rank);
        }
    }

    [Theory]
    [InlineData(0.0, 5)]  // λ = 0
    [InlineData(0.5, 12)] // K = total steps
    [InlineData(0.5, 40)] // K beyond the run
    public void NoUpdateLeavesWBitIdenticalAndMergingKeepsTheLogits(double updateRatio, int startSteps)
    {
        var (model, before) = TrainDeltaLoRA(updateRatio, startSteps, totalSteps: 12);
        using (model)
        {
            foreach (var (name, layer) in AdapterInjector.AdaptedLayers(model))
                Assert.True(TinyData.BitIdentical(layer.weight, before[$"{name}.weight"]), $"{name}.weight changed.");
            AssertMergedLogitsEqualUnmerged(model);
        }
        TinyData.DisposeAll(before);
    }

    [Fact]
    public void WMovesOnceStepKIsPassedAndMergingKeepsTheLogits()
    {
        var (model, before) = TrainDeltaLoRA(updateRatio: 0.5, startSteps: 5, totalSteps: 12);
        using (model)
        {
            foreach (var (name, layer) in AdapterInjector.AdaptedLayers(model))
                Assert.False(TinyData.BitIdentical(layer.weight, before[$"{name}.weight"]), $"{name}.weight did not move.");
            AssertMergedLogitsEqualUnmerged(model);
        }
        TinyData.DisposeAll(before);
    }

    /// <summary>K unset is the warmup (the paper's GLUE setting): W holds still through step W = 3 and moves at step 4.</summary>
    [Fact]
    public void WithoutStartStepsWStartsMovingRightAfterTheWarmup()
    {
        using var model = new TinyClassifier(dropoutProbability: 0);
        var options = new FineTuningOptions { Rank = 4, Alpha = 8, WarmupSteps = 3, LearningRate = 1e-2, Seed = 7 };
        Assert.Null(options.StartSteps);
        using var tuner = new FineTuner(model, options, totalSteps: 4);
        var before = TinyData.Snapshot(model);
        var (sequences, labels) = TinyData.Examples(32, seed: 3);
        for (int step = 1; step <= 4; step++)
        {
            using var batch = TinyData.Batch(sequences.GetRange((step - 1) * 8, 8));
            using var y = TinyData.ClassLabels(labels.GetRange((step - 1) * 8, 8));
            tuner.Step(batch, y);
            foreach (var (name, layer) in AdapterInjector.AdaptedLayers(model))
            {
                bool unmoved = TinyData.BitIdentical(layer.weight, before[$"{name}.weight"]);
                Assert.True(step <= 3 ? unmoved : !unmoved, $"{name}.weight after step {step}: {(unmoved ? "unmoved" : "moved")}.");
            }
        }
        TinyData.DisposeAll(before);
    }

    private static (TinyClassifier Model, Dictionary<string, Tensor> Before) TrainDeltaLoRA(double updateRatio, int startSteps, int totalSteps)
    {
        var model = new TinyClassifier();
        var options = new FineTuningOptions
        {
            Rank = 4, Alpha = 8, UpdateRatio = updateRatio, StartSteps = startSteps, LearningRate = 1e-2, BatchSize = 8, Seed = 9,
        };
        using var tuner = new FineTuner(model, options, totalSteps);
        var before = TinyData.Snapshot(model);
        var (sequences, labels) = TinyData.Examples(64, seed: 4);
        tuner.Train(sequences, labels, TinyData.PadTokenId, withTokenTypeIds: false);
        Assert.Equal(totalSteps, tuner.CompletedSteps);
        return (model, before);
    }

    private static void AssertMergedLogitsEqualUnmerged(TinyClassifier model)
    {
        model.eval();
        var (sequences, _) = TinyData.Examples(10, seed: 8);
        using var batch = TinyData.Batch(sequences);
        using var noGrad = torch.no_grad();
        using var unmerged = model.forward(batch);
        AdapterInjector.MergeAll(model);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
        using var merged = model.forward(batch);
        Assert.True(torch.allclose(unmerged, merged, rtol: 0, atol: 1e-5), $"max |Δlogit| = {(unmerged - merged).abs().max().item<float>()}");
    }

    private static (Tensor B, Tensor A) MoveAdapters(LoRALinear layer)
    {
        using (torch.no_grad())
        {
            layer.lora_A!.add_(torch.randn_like(layer.lora_A));
            layer.lora_B!.add_(torch.randn_like(layer.lora_B));
        }
        return (layer.lora_B!.detach().to_type(ScalarType.Float64), layer.lora_A!.detach().to_type(ScalarType.Float64));
    }

    private static Tensor LowRankProduct(LoRALinear layer)
        => layer.lora_B!.detach().to_type(ScalarType.Float64).matmul(layer.lora_A!.detach().to_type(ScalarType.Float64));

    private static void AssertClose(Tensor expected, Tensor actual, double relativeTolerance)
    {
        double error = (expected - actual.to_type(ScalarType.Float64)).abs().max().item<double>();
        double scale = expected.abs().max().item<double>();
        Assert.True(error <= relativeTolerance * scale, $"max |expected − actual| = {error}, max |expected| = {scale}");
    }
}
