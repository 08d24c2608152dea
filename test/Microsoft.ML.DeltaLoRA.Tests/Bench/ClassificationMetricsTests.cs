using DeltaLoRA.Bench.Metrics;

namespace Microsoft.ML.DeltaLoRA.Tests.Bench;

/// <summary>Accuracy, F1 and Matthews correlation against counts worked out by hand (and scikit-learn's documented examples).</summary>
public class ClassificationMetricsTests
{
    // gold:      1 0 1 1 0
    // predicted: 1 1 1 0 0   → TP 2 (rows 0, 2), FP 1 (row 1), FN 1 (row 3), TN 1 (row 4)
    private static readonly string[] Gold = ["1", "0", "1", "1", "0"];
    private static readonly string[] Predicted = ["1", "1", "1", "0", "0"];

    [Fact]
    public void Accuracy_is_the_share_of_exact_matches()
    {
        Assert.Equal(3.0 / 5, ClassificationMetrics.Accuracy(Gold, Predicted), 12);
        Assert.Equal(1.0, ClassificationMetrics.Accuracy(["entailment", "not_entailment"], ["entailment", "not_entailment"]));
        Assert.Equal(0.0, ClassificationMetrics.Accuracy(["a", "b"], ["b", "a"]));
    }

    [Fact]
    public void Confusion_counts_each_cell()
        => Assert.Equal(new BinaryConfusion(TruePositives: 2, FalsePositives: 1, FalseNegatives: 1, TrueNegatives: 1), BinaryConfusion.Count(Gold, Predicted, "1"));

    [Fact]
    public void F1_of_the_positive_class_is_the_harmonic_mean_of_precision_and_recall()
    {
        // precision 2/3, recall 2/3 → F1 2/3
        Assert.Equal(2.0 / 3, ClassificationMetrics.F1(Gold, Predicted, "1"), 12);
        // With "0" positive: TP 1 (row 4), FP 1 (row 3), FN 1 (row 1): precision 1/2, recall 1/2
        Assert.Equal(0.5, ClassificationMetrics.F1(Gold, Predicted, "0"), 12);
        // precision 1 (1/1), recall 1/3 → 2·1·(1/3) / (4/3) = 1/2
        Assert.Equal(0.5, ClassificationMetrics.F1(["1", "1", "1", "0"], ["1", "0", "0", "0"], "1"), 12);
    }

    [Fact]
    public void F1_is_zero_when_the_positive_class_never_occurs_or_is_never_found()
    {
        Assert.Equal(0.0, ClassificationMetrics.F1(["0", "0"], ["0", "0"], "1"));
        Assert.Equal(0.0, ClassificationMetrics.F1(["1", "1"], ["0", "0"], "1"));
    }

    [Fact]
    public void Matthews_correlation_matches_the_formula_on_hand_counts()
    {
        // (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2·1 − 1·1) / √(3·3·2·2) = 1/6
        Assert.Equal(1.0 / 6, ClassificationMetrics.MatthewsCorrelation(Gold, Predicted, "1"), 12);
        // The coefficient is symmetric in which class is called positive.
        Assert.Equal(1.0 / 6, ClassificationMetrics.MatthewsCorrelation(Gold, Predicted, "0"), 12);
    }

    [Fact]
    public void Matthews_correlation_reproduces_scikit_learns_documented_example()
    {
        // sklearn.metrics.matthews_corrcoef docs: y_true [+1, +1, +1, -1], y_pred [+1, -1, +1, +1] → -0.33…
        Assert.Equal(-1.0 / 3, ClassificationMetrics.MatthewsCorrelation(["+1", "+1", "+1", "-1"], ["+1", "-1", "+1", "+1"], "+1"), 12);
    }

    [Fact]
    public void Matthews_correlation_is_one_for_perfect_and_minus_one_for_inverted_predictions()
    {
        string[] gold = ["1", "0", "1", "0", "0"];
        Assert.Equal(1.0, ClassificationMetrics.MatthewsCorrelation(gold, gold, "1"), 12);
        Assert.Equal(-1.0, ClassificationMetrics.MatthewsCorrelation(gold, gold.Select(g => g == "1" ? "0" : "1").ToArray(), "1"), 12);
    }

    [Fact]
    public void Matthews_correlation_of_a_degenerate_confusion_matrix_is_zero()
    {
        // Every prediction in one class: (TP+FP) or (TN+FN) is 0, the formula is 0/0; scikit-learn returns 0.
        Assert.Equal(0.0, ClassificationMetrics.MatthewsCorrelation(["1", "0", "1", "0"], ["1", "1", "1", "1"], "1"));
        Assert.Equal(0.0, ClassificationMetrics.MatthewsCorrelation(["1", "0", "1", "0"], ["0", "0", "0", "0"], "1"));
        // Every gold label in one class.
        Assert.Equal(0.0, ClassificationMetrics.MatthewsCorrelation(["1", "1", "1"], ["1", "0", "1"], "1"));
    }

    [Fact]
    public void Mismatched_or_empty_inputs_are_refused_with_the_counts()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Accuracy(["1", "0"], ["1"]));
        Assert.Contains("(2)", error.Message);
        Assert.Contains("found 1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.F1([], [], "1"));
    }
}
