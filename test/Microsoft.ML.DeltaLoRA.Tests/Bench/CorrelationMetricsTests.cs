using DeltaLoRA.Bench.Metrics;
using Microsoft.ML.Data;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>Pearson and Spearman against values worked out by hand, and Pearson against ML.NET's R² of a least-squares fit.</summary>
public class CorrelationMetricsTests
{
    [Fact]
    public void Tied_values_share_the_mean_of_their_ranks()
    {
        Assert.Equal([1, 2.5, 2.5, 4], CorrelationMetrics.AverageRanks([10, 20, 20, 30]));
        // 1 → rank 1, 2 → rank 2, the three 3s take ranks 3, 4, 5 → 4 each
        Assert.Equal([4, 1, 4, 4, 2], CorrelationMetrics.AverageRanks([3, 1, 3, 3, 2]));
        Assert.Equal([2, 2, 2], CorrelationMetrics.AverageRanks([7, 7, 7]));
    }

    [Fact]
    public void Spearman_with_ties_is_the_Pearson_correlation_of_average_ranks()
    {
        // ranks x = 1, 2.5, 2.5, 4 and y = 1, 2, 3, 4: Σdxdy 4.5, Σdx² 4.5, Σdy² 5 → 4.5/√22.5 = √0.9
        Assert.Equal(Math.Sqrt(0.9), CorrelationMetrics.Spearman([1, 2, 2, 3], [1, 2, 3, 4]), 12);
    }

    [Fact]
    public void Spearman_is_one_for_any_increasing_relation_where_Pearson_is_not()
    {
        double[] x = [1, 2, 3, 4, 5], cubes = [1, 8, 27, 64, 125];
        Assert.Equal(1.0, CorrelationMetrics.Spearman(x, cubes), 12);
        Assert.Equal(-1.0, CorrelationMetrics.Spearman(x, cubes.Select(c => -c).ToArray()), 12);
        // dx = -2..2, dy = -44, -37, -18, 19, 80: Σdxdy 304, Σdx² 10, Σdy² 10390
        Assert.Equal(304 / Math.Sqrt(10 * 10390.0), CorrelationMetrics.Pearson(x, cubes), 12);
    }

    [Fact]
    public void Pearson_is_plus_or_minus_one_on_a_line_and_undefined_for_a_constant()
    {
        Assert.Equal(1.0, CorrelationMetrics.Pearson([1, 2, 3], [5, 7, 9]), 12);
        Assert.Equal(-1.0, CorrelationMetrics.Pearson([1, 2, 3], [3, 2, 1]), 12);
        Assert.True(double.IsNaN(CorrelationMetrics.Pearson([1, 2, 3], [4, 4, 4])));
    }

    [Fact]
    public void Pearson_squared_equals_MLNet_RSquared_of_the_least_squares_line()
    {
        // For ŷ = a + b·x fitted by least squares, R²(y, ŷ) = r(x, y)². ML.NET computes R² on its own.
        double[] x = [0.5, 1.7, 2.2, 3.9, 4.1, 4.8, 2.9, 0.1];
        double[] y = [1.2, 1.1, 2.9, 3.2, 4.9, 4.0, 2.0, 0.8];
        double meanX = x.Average(), meanY = y.Average();
        double slope = x.Zip(y).Sum(p => (p.First - meanX) * (p.Second - meanY)) / x.Sum(v => (v - meanX) * (v - meanX));
        double intercept = meanY - slope * meanX;

        var ml = new MLContext(seed: 0);
        var rows = x.Zip(y).Select(p => new Fitted { Label = (float)p.Second, Score = (float)(intercept + slope * p.First) });
        var metrics = ml.Regression.Evaluate(ml.Data.LoadFromEnumerable(rows));

        double r = CorrelationMetrics.Pearson(x, y);
        Assert.Equal(metrics.RSquared, r * r, 5); // float32 columns in ML.NET
    }

    [Fact]
    public void NaN_cannot_be_ranked()
        => Assert.Throws<ArgumentOutOfRangeException>(() => CorrelationMetrics.AverageRanks([1, double.NaN]));

    public sealed class Fitted
    {
        public float Label { get; set; }
        public float Score { get; set; }
    }
}
