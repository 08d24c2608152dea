using DeltaLoRA.Cli.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeltaLoRA.Cli.Output;

/// <summary>One metric: its display name, its JSON key and its value.</summary>
internal sealed record Metric(string Name, string Key, double Value);

/// <summary>Precision and recall of one class, with how many rows have that label.</summary>
internal sealed record ClassMetrics(string Name, double Precision, double Recall, long Support)
{
    public double F1 => Precision + Recall > 0 ? 2 * Precision * Recall / (Precision + Recall) : 0;
}

/// <summary>ML.NET's evaluation of scored rows: the metrics, and for classification the per-class figures and confusion table.</summary>
internal sealed record EvaluationReport(TaskKind Task, long Rows, IReadOnlyList<Metric> Metrics, IReadOnlyList<ClassMetrics> Classes, string? ConfusionTable)
{
    /// <summary>Evaluates rows scored by a model: a key-typed label column and the Score column.</summary>
    public static EvaluationReport Evaluate(MLContext ml, IDataView scored, string labelColumn, string scoreColumn, TaskKind task)
    {
        // ML.NET's evaluators read the rows more than once; without the cache each pass would run the model again.
        scored = ml.Data.Cache(scored, labelColumn, scoreColumn);
        if (task == TaskKind.Regression)
        {
            var r = ml.Regression.Evaluate(scored, labelColumn, scoreColumn);
            return new EvaluationReport(task, LabelCheck.CountNumbers(scored, labelColumn), [
                new Metric("Mean squared error", "mse", r.MeanSquaredError),
                new Metric("Root mean squared error", "rmse", r.RootMeanSquaredError),
                new Metric("Mean absolute error", "mae", r.MeanAbsoluteError),
                new Metric("R²", "r_squared", r.RSquared),
            ], [], null);
        }

        var m = ml.MulticlassClassification.Evaluate(scored, labelColumn, scoreColumn);
        var confusion = m.ConfusionMatrix;
        var names = ClassNames(scored.Schema[scoreColumn], confusion.NumberOfClasses);
        var classes = Enumerable.Range(0, confusion.NumberOfClasses)
            .Select(c => new ClassMetrics(names[c], confusion.PerClassPrecision[c], confusion.PerClassRecall[c], (long)confusion.Counts[c].Sum()))
            .ToArray();
        return new EvaluationReport(task, classes.Sum(c => c.Support), [
            new Metric("Accuracy (micro)", "micro_accuracy", m.MicroAccuracy),
            new Metric("Accuracy (macro)", "macro_accuracy", m.MacroAccuracy),
            new Metric("Log-loss", "log_loss", m.LogLoss),
            new Metric("Log-loss reduction", "log_loss_reduction", m.LogLossReduction),
        ], classes, confusion.GetFormattedConfusionTable());
    }

    /// <summary>The metrics for the JSON line, keyed by their JSON keys.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var json = new Dictionary<string, object?> { ["rows"] = Rows };
        foreach (var metric in Metrics) json[metric.Key] = metric.Value;
        if (Classes.Count > 0)
            json["classes"] = Classes.Select(c => new Dictionary<string, object?>
            {
                ["name"] = c.Name, ["precision"] = c.Precision, ["recall"] = c.Recall, ["f1"] = c.F1, ["support"] = c.Support,
            }).ToArray();
        return json;
    }

    /// <summary>The class names the trainer put on the Score column (slot names), or 0, 1, … when it has none.</summary>
    public static string[] ClassNames(DataViewSchema.Column score, int count)
    {
        if (score.Annotations.Schema.GetColumnOrNull("SlotNames") is not null)
        {
            var names = default(VBuffer<ReadOnlyMemory<char>>);
            score.Annotations.GetValue("SlotNames", ref names);
            if (names.Length == count) return names.DenseValues().Select(n => n.ToString()).ToArray();
        }
        return Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
