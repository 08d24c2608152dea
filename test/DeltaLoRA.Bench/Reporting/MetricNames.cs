using DeltaLoRA.Bench.Glue;

namespace DeltaLoRA.Bench.Reporting;

internal static class MetricNames
{
    /// <summary>What a task's single score is, for table headers and plot axes.</summary>
    public static string ScoreName(GlueTask task) => task.Metric switch
    {
        GlueMetricKind.Accuracy => "accuracy",
        GlueMetricKind.AccuracyAndF1 => "mean of accuracy and F1",
        GlueMetricKind.MatthewsCorrelation => "Matthews correlation",
        GlueMetricKind.PearsonAndSpearman => "mean of Pearson and Spearman",
        _ => "score",
    };
}
