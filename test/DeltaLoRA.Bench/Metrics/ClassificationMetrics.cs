namespace DeltaLoRA.Bench.Metrics;

/// <summary>
/// Classification scores as GLUE computes them (scikit-learn's definitions): accuracy, F1 of one positive class, and the
/// Matthews correlation of a binary task. Labels are compared as strings, as the data files write them.
/// </summary>
internal static class ClassificationMetrics
{
    public static double Accuracy(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        CheckPaired(gold, predicted);
        int correct = 0;
        for (int i = 0; i < gold.Count; i++) if (gold[i] == predicted[i]) correct++;
        return (double)correct / gold.Count;
    }

    /// <summary>F1 of <paramref name="positive"/>: 2·TP / (2·TP + FP + FN); 0 when there is no positive in either list.</summary>
    public static double F1(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, string positive)
    {
        var m = BinaryConfusion.Count(gold, predicted, positive);
        long denominator = 2 * m.TruePositives + m.FalsePositives + m.FalseNegatives;
        return denominator == 0 ? 0 : 2.0 * m.TruePositives / denominator;
    }

    /// <summary>
    /// (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)); 0 when a factor of the denominator is 0 (all predictions, or all
    /// gold labels, in one class), as scikit-learn's matthews_corrcoef returns.
    /// </summary>
    public static double MatthewsCorrelation(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, string positive)
    {
        var m = BinaryConfusion.Count(gold, predicted, positive);
        double tp = m.TruePositives, tn = m.TrueNegatives, fp = m.FalsePositives, fn = m.FalseNegatives;
        double denominator = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
        return denominator == 0 ? 0 : (tp * tn - fp * fn) / Math.Sqrt(denominator);
    }

    internal static void CheckPaired<T, U>(IReadOnlyList<T> gold, IReadOnlyList<U> predicted)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != predicted.Count)
            throw new ArgumentOutOfRangeException(nameof(predicted), predicted.Count, $"Expected one prediction per gold label ({gold.Count}), found {predicted.Count}.");
        if (gold.Count == 0) throw new ArgumentOutOfRangeException(nameof(gold), 0, "A metric needs at least one example, found none.");
    }
}
