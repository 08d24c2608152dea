using Microsoft.ML.DeltaLoRA.MLNet;
namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// The validation metric a <see cref="DeltaLoRAExperiment"/> optimises, computed by ML.NET's evaluators. It also sets the task:
/// the first three fine-tune a classifier (key-typed label), the others a regressor (Single label).
/// </summary>
public enum SweepMetric
{
    MicroAccuracy,
    MacroAccuracy,
    LogLoss,
    RSquared,
    MeanSquaredError,
    MeanAbsoluteError,
}

internal static class SweepMetrics
{
    public static bool IsClassification(this SweepMetric metric) => metric is SweepMetric.MicroAccuracy or SweepMetric.MacroAccuracy or SweepMetric.LogLoss;

    public static bool HigherIsBetter(this SweepMetric metric) => metric is SweepMetric.MicroAccuracy or SweepMetric.MacroAccuracy or SweepMetric.RSquared;

    /// <summary>Larger is better, whatever the metric.</summary>
    public static double Score(this SweepMetric metric, double value) => metric.HigherIsBetter() ? value : -value;

    /// <summary>
    /// The metric of a trial's model on the validation rows. Throws <see cref="ArithmeticException"/> when a score is not finite
    /// (a diverged run; ML.NET's evaluators would count such rows as wrong and still give a finite metric).
    /// </summary>
    public static double Evaluate(this SweepMetric metric, MLContext ml, DeltaLoRATransformer model, IDataView validation, string labelColumnName)
    {
        var scored = ml.Data.Cache(model.Transform(validation));
        RequireFiniteScores(scored, model.ScoreColumnName);
        double value = metric switch
        {
            SweepMetric.MicroAccuracy => Classification().MicroAccuracy,
            SweepMetric.MacroAccuracy => Classification().MacroAccuracy,
            SweepMetric.LogLoss => Classification().LogLoss,
            SweepMetric.RSquared => Regression().RSquared,
            SweepMetric.MeanSquaredError => Regression().MeanSquaredError,
            _ => Regression().MeanAbsoluteError,
        };
        if (!double.IsFinite(value)) throw new ArithmeticException($"The validation {metric} is {value}.");
        return value;

        Data.MulticlassClassificationMetrics Classification()
            => ml.MulticlassClassification.Evaluate(scored, labelColumnName, model.ScoreColumnName, model.PredictedLabelColumnName!);

        Data.RegressionMetrics Regression() => ml.Regression.Evaluate(scored, labelColumnName, model.ScoreColumnName);
    }

    private static void RequireFiniteScores(IDataView scored, string scoreColumnName)
    {
        var column = scored.Schema[scoreColumnName];
        using var cursor = scored.GetRowCursor([column]);
        var scores = default(Data.VBuffer<float>);
        float score = 0;
        var readVector = column.Type is Data.VectorDataViewType ? cursor.GetGetter<Data.VBuffer<float>>(column) : null;
        var readSingle = readVector is null ? cursor.GetGetter<float>(column) : null;
        for (long row = 0; cursor.MoveNext(); row++)
        {
            float bad = 0;
            if (readVector is not null)
            {
                readVector(ref scores);
                bad = scores.DenseValues().FirstOrDefault(v => !float.IsFinite(v), 0f);
            }
            else
            {
                readSingle!(ref score);
                if (!float.IsFinite(score)) bad = score;
            }
            if (!float.IsFinite(bad)) throw new ArithmeticException($"The model's validation score of row {row} is {bad}; the run diverged.");
        }
    }
}
