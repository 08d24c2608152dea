using DeltaLoRA.Bench.Embeddings;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using DeltaLoRA.Bench.Reporting;
using DeltaLoRA.Bench.Study;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>The small computations of the study: mean ± sd, task scores, loss-curve averaging, pair features, target scaling.</summary>
public class ReportingMathTests
{
    [Fact]
    public void Mean_and_sample_standard_deviation()
    {
        var stats = MeanSd.Of([0.80, 0.82, 0.84]);
        Assert.Equal(0.82, stats.Mean, 12);
        Assert.Equal(0.02, stats.Sd, 12); // √((0.02² + 0 + 0.02²) / 2)
        Assert.Equal("82.00 ± 2.00", stats.ToPercent());
        Assert.Equal("50.00", MeanSd.Of([0.5]).ToPercent());
        Assert.Equal("—", MeanSd.Of([]).ToPercent());
    }

    [Fact]
    public void Task_score_is_the_metric_or_the_mean_of_the_two_GLUE_metrics()
    {
        Assert.Equal(0.8, new TaskScores(Accuracy: 0.8).Score);
        Assert.Equal(0.85, new TaskScores(Accuracy: 0.8, F1: 0.9).Score, 12);
        Assert.Equal(0.3, new TaskScores(Mcc: 0.3).Score);
        Assert.Equal(0.75, new TaskScores(Pearson: 0.7, Spearman: 0.8).Score, 12);
        Assert.Equal(["accuracy", "f1"], new TaskScores(Accuracy: 0.8, F1: 0.9).Reported().Select(m => m.Name));
    }

    [Fact]
    public void Loss_curves_average_over_seeds_on_common_steps_then_smooth()
    {
        IReadOnlyList<LossPoint> a = [new(1, 1.0), new(2, 0.8), new(3, 0.6)];
        IReadOnlyList<LossPoint> b = [new(1, 0.8), new(2, 0.6)];
        Assert.Equal([new LossPoint(1, 0.9), new LossPoint(2, 0.7)], LossCurves.MeanOverRuns([a, b]).Select(p => p with { Loss = Math.Round(p.Loss, 12) }));

        var smoothed = LossCurves.MovingAverage([new(1, 3), new(2, 1), new(3, 2), new(4, 6)], window: 2);
        Assert.Equal([3, 2, 1.5, 4], smoothed.Select(p => p.Loss));
        Assert.Equal([1, 2, 3, 4], smoothed.Select(p => p.Step));
    }

    [Fact]
    public void Pair_features_are_u_v_absolute_difference_and_product()
    {
        // u = [1, −2, 0.5], v = [3, 0.5, 2]: |u − v| = [2, 2.5, 1.5], u ⊙ v = [3, −1, 1]
        Assert.Equal([1f, -2f, 0.5f, 3f, 0.5f, 2f, 2f, 2.5f, 1.5f, 3f, -1f, 1f], PairFeatures.Combine([1f, -2f, 0.5f], [3f, 0.5f, 2f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairFeatures.Combine([1f], [1f, 2f]));
    }

    [Fact]
    public void Regression_targets_are_standardized_with_the_training_mean_and_sample_sd()
    {
        GlueExample Row(float target) => new("a", "b", "", target);
        var scaling = TargetScaling.Standardize([Row(1), Row(2), Row(3)]); // mean 2, sd √((1 + 0 + 1) / 2) = 1
        Assert.Equal(2, scaling.Mean, 12);
        Assert.Equal(1, scaling.Sd, 12);
        Assert.Equal(1f, scaling.Apply(3));
        Assert.Equal(-2f, scaling.Apply(0));
        Assert.Equal(4.5f, TargetScaling.Identity.Apply(4.5f));
        Assert.Throws<InvalidOperationException>(() => TargetScaling.Standardize([Row(3), Row(3)]));
    }
}
