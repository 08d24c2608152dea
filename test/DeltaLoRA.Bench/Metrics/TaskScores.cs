using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Metrics;

/// <summary>
/// The GLUE metrics of one set of predictions; only those of the task's convention are set. <see cref="Score"/> is the single
/// number the task is ranked by on the GLUE leaderboard: the metric itself, or the mean of the two metrics of MRPC and STS-B.
/// </summary>
internal sealed record TaskScores(double? Accuracy = null, double? F1 = null, double? Mcc = null, double? Pearson = null, double? Spearman = null)
{
    public double Score =>
        Accuracy is double a && F1 is double f ? (a + f) / 2
        : Pearson is double p && Spearman is double s ? (p + s) / 2
        : Mcc ?? Accuracy ?? double.NaN;

    /// <summary>Names and values of the metrics the task reports, in GLUE's order.</summary>
    public IEnumerable<(string Name, double Value)> Reported()
    {
        if (Accuracy is double a) yield return ("accuracy", a);
        if (F1 is double f) yield return ("f1", f);
        if (Mcc is double m) yield return ("mcc", m);
        if (Pearson is double p) yield return ("pearson", p);
        if (Spearman is double s) yield return ("spearman", s);
    }

    /// <summary>Scores class predictions (labels as the data files write them) by the task's convention.</summary>
    public static TaskScores ForClasses(GlueTask task, IReadOnlyList<string> gold, IReadOnlyList<string> predicted) => task.Metric switch
    {
        GlueMetricKind.Accuracy => new TaskScores(Accuracy: ClassificationMetrics.Accuracy(gold, predicted)),
        GlueMetricKind.AccuracyAndF1 => new TaskScores(
            Accuracy: ClassificationMetrics.Accuracy(gold, predicted), F1: ClassificationMetrics.F1(gold, predicted, task.PositiveLabel!)),
        GlueMetricKind.MatthewsCorrelation => new TaskScores(Mcc: ClassificationMetrics.MatthewsCorrelation(gold, predicted, task.PositiveLabel!)),
        _ => throw new InvalidOperationException($"{task.Name} is a regression task; score it with {nameof(ForValues)}."),
    };

    /// <summary>Scores regression predictions (Pearson and Spearman against the gold scores).</summary>
    public static TaskScores ForValues(GlueTask task, IReadOnlyList<double> gold, IReadOnlyList<double> predicted)
    {
        if (!task.IsRegression) throw new InvalidOperationException($"{task.Name} is a classification task; score it with {nameof(ForClasses)}.");
        return new TaskScores(Pearson: CorrelationMetrics.Pearson(gold, predicted), Spearman: CorrelationMetrics.Spearman(gold, predicted));
    }
}
