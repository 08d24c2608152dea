using System.Diagnostics;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// The frozen-embedding baseline: the pretrained sentence vectors (no fine-tuning), standardized, fed to ML.NET's
/// LbfgsMaximumEntropy (classification) or Sdca (regression) with their default regularization. Its training time
/// includes embedding the training rows.
/// </summary>
internal static class FrozenEmbeddingRunner
{
    public static RunResult Run(RunSpec spec, TaskData data, TaskFeatures features, TargetScaling scaling)
    {
        var ml = new MLContext(seed: spec.Seed);
        var clock = Stopwatch.StartNew();
        var model = data.Task.IsRegression
            ? ml.Transforms.NormalizeMeanVariance(nameof(FeatureRow.Features))
                .Append(ml.Regression.Trainers.Sdca(labelColumnName: nameof(FeatureRow.Target), featureColumnName: nameof(FeatureRow.Features)))
                .Fit(Load(ml, data.Train, features.Train, features.Dimension, scaling))
            : (ITransformer)ml.Transforms.Conversion.MapValueToKey(nameof(FeatureRow.Label))
                .Append(ml.Transforms.NormalizeMeanVariance(nameof(FeatureRow.Features)))
                .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(nameof(FeatureRow.Label), nameof(FeatureRow.Features)))
                .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(ClassPrediction.PredictedLabel)))
                .Fit(Load(ml, data.Train, features.Train, features.Dimension));
        double trainSeconds = features.TrainSeconds + clock.Elapsed.TotalSeconds;

        clock.Restart();
        var validation = Score(ml, model, data.Task, data.Validation, features.Validation, features.Dimension);
        var dev = Score(ml, model, data.Task, data.Dev, features.Dev, features.Dimension);
        double evalSeconds = clock.Elapsed.TotalSeconds;
        return new RunResult(new RunRecord(spec, validation.Score, dev, WarmupSteps: 0, trainSeconds, evalSeconds), []);
    }

    private static TaskScores Score(MLContext ml, ITransformer model, GlueTask task, IReadOnlyList<GlueExample> rows, float[][] features, int dimension)
    {
        var scored = model.Transform(Load(ml, rows, features, dimension));
        if (task.IsRegression)
        {
            var values = ml.Data.CreateEnumerable<ValuePrediction>(scored, reuseRowObject: false).Select(p => (double)p.Score).ToArray();
            return TaskScores.ForValues(task, rows.Select(r => (double)r.Target).ToArray(), values);
        }
        var labels = ml.Data.CreateEnumerable<ClassPrediction>(scored, reuseRowObject: false).Select(p => p.PredictedLabel).ToArray();
        return TaskScores.ForClasses(task, rows.Select(r => r.Label).ToArray(), labels);
    }

    private static IDataView Load(MLContext ml, IReadOnlyList<GlueExample> rows, float[][] features, int dimension, TargetScaling? scaling = null)
    {
        scaling ??= TargetScaling.Identity;
        if (features.Length != rows.Count)
            throw new InvalidOperationException($"{features.Length} feature vectors for {rows.Count} rows; they must match one to one.");
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimension);
        var data = rows.Select((row, i) => new FeatureRow { Features = features[i], Label = row.Label, Target = scaling.Apply(row.Target) });
        return ml.Data.LoadFromEnumerable(data, schema);
    }

    public sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
        public float Target { get; set; }
    }
}
