using System.Diagnostics;
using DeltaLoRA.Bench.Glue;
using DeltaLoRA.Bench.Metrics;
using Microsoft.ML;
using Microsoft.ML.DeltaLoRA;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace DeltaLoRA.Bench.Study;

/// <summary>
/// One Delta-LoRA, LoRA or full fine-tuning run through the library's public ML.NET API, as a user would write it:
/// <c>MulticlassClassification.Trainers.DeltaLoRA</c> (between MapValueToKey and MapKeyToValue) or
/// <c>Regression.Trainers.DeltaLoRA</c>, a fixed number of optimizer steps, then Transform on the validation and dev rows.
/// With an early-stopping patience (calibration runs), the validation rows also go to the trainer as its ValidationSet: it
/// scores them after every epoch, stops after that many epochs without improvement and keeps the best epoch's weights.
/// </summary>
internal static class FineTuneRunner
{
    public static RunResult Run(RunSpec spec, TaskData data, StudySettings settings, TextWriter log, int? earlyStoppingPatience = null)
    {
        var fitted = Fit(spec, data, settings, log, earlyStoppingPatience);
        var clock = Stopwatch.StartNew();
        TaskScores validation;
        TaskScores? dev;
        try
        {
            validation = Score(fitted.Context, fitted.Model, data.Task, data.Validation);
            // Selection runs are judged on validation only; not even computing their dev scores keeps dev out of the choice.
            dev = spec.Phase == RunPhase.Select ? null : Score(fitted.Context, fitted.Model, data.Task, data.Dev);
        }
        finally
        {
            Release(fitted.Model);
        }
        double evalSeconds = clock.Elapsed.TotalSeconds;

        int warmup = settings.WarmupStepsFor(spec.Steps);
        return new RunResult(new RunRecord(spec, validation.Score, dev, warmup, fitted.TrainSeconds, evalSeconds), fitted.Losses, fitted.ValidationByEpoch);
    }

    /// <summary>
    /// A fitted pipeline, the context that made it, its per-step training losses, the trainer's validation metric per epoch
    /// (empty without early stopping) and its training time.
    /// </summary>
    public sealed record FittedRun(MLContext Context, ITransformer Model, IReadOnlyList<LossPoint> Losses, IReadOnlyList<double> ValidationByEpoch, double TrainSeconds);

    /// <summary>
    /// Trains the run's pipeline; the caller scores it and then frees it with <see cref="Release"/>. With
    /// <paramref name="earlyStoppingPatience"/> the trainer validates on <c>data.Validation</c> after every epoch (patience 0:
    /// every epoch runs, the best one's weights are kept).
    /// </summary>
    public static FittedRun Fit(RunSpec spec, TaskData data, StudySettings settings, TextWriter log, int? earlyStoppingPatience = null)
    {
        if (!spec.Method.FineTunes()) throw new ArgumentOutOfRangeException(nameof(spec), spec.Method, "FineTuneRunner runs DeltaLoRA, LoRA and Full only.");
        double learningRate = spec.LearningRate ?? throw new ArgumentOutOfRangeException(nameof(spec), "null", "A fine-tuning run needs a learning rate.");

        var ml = new MLContext(seed: spec.Seed);
        var progress = new RunProgress(spec, spec.Steps, settings.LogEvery, log);
        var options = new DeltaLoRAOptions
        {
            ModelPath = settings.ModelPath ?? NamedModels.UseLite.Name, // the study's default model, which its USE-Lite results were measured on
            Sentence1ColumnName = nameof(ClassificationRow.Sentence1),
            Sentence2ColumnName = data.Task.IsPair ? nameof(ClassificationRow.Sentence2) : null,
            Method = spec.Method.ToFineTuningMethod(),
            Rank = settings.Rank,
            Pooling = settings.Pooling,
            PairEncoding = data.Task.IsPair ? settings.PairEncoding : SentencePairEncoding.CrossEncoder,
            Alpha = settings.Alpha,
            UpdateRatio = spec.UpdateRatio ?? settings.UpdateRatio,
            StartSteps = spec.StartSteps,
            LearningRate = learningRate,
            WarmupRatio = settings.WarmupRatio,
            BatchSize = settings.BatchSize,
            MaxSteps = spec.Steps,
            MaxSequenceLength = settings.MaxSequenceLength,
            Seed = spec.Seed,
            LengthBucketing = true,
            Progress = progress,
            EarlyStoppingPatience = earlyStoppingPatience ?? 0,
            ThreadCount = settings.Threads,
        };
        var validation = earlyStoppingPatience is null ? null : data.Validation;

        var clock = Stopwatch.StartNew();
        var model = data.Task.IsRegression
            ? FitRegression(ml, options, data.Train, validation, settings.TargetScalingFor(data))
            : FitClassification(ml, options, data.Train, validation);
        return new FittedRun(ml, model, progress.Losses, progress.ValidationByEpoch, clock.Elapsed.TotalSeconds);
    }

    private static ITransformer FitClassification(MLContext ml, DeltaLoRAOptions options, IReadOnlyList<GlueExample> rows, IReadOnlyList<GlueExample>? validation)
    {
        var toKey = ml.Transforms.Conversion.MapValueToKey(nameof(ClassificationRow.Label));
        var train = ml.Data.LoadFromEnumerable(ClassificationRow.From(rows));
        // The trainer reads validation rows as it reads training rows: labels mapped to the keys the training rows define.
        if (validation is not null) options.ValidationSet = toKey.Fit(train).Transform(ml.Data.LoadFromEnumerable(ClassificationRow.From(validation)));
        var pipeline = toKey
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue(nameof(ClassPrediction.PredictedLabel)));
        return pipeline.Fit(train);
    }

    private static ITransformer FitRegression(MLContext ml, DeltaLoRAOptions options, IReadOnlyList<GlueExample> rows, IReadOnlyList<GlueExample>? validation, TargetScaling scaling)
    {
        // Validation targets on the training targets' scale, so that the trainer's mean squared error compares like with like.
        if (validation is not null) options.ValidationSet = ml.Data.LoadFromEnumerable(RegressionRow.From(validation, scaling));
        return ml.Regression.Trainers.DeltaLoRA(options).Fit(ml.Data.LoadFromEnumerable(RegressionRow.From(rows, scaling)));
    }

    /// <summary>Frees the fine-tuned network now rather than at finalization: a study makes many runs in one process.</summary>
    public static void Release(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
            foreach (var part in chain) (part as IDisposable)?.Dispose();
        (model as IDisposable)?.Dispose();
    }

    /// <summary>Scores <paramref name="rows"/> with a fitted model by the task's GLUE metrics (correlations ignore the target scaling).</summary>
    public static TaskScores Score(MLContext ml, ITransformer model, GlueTask task, IReadOnlyList<GlueExample> rows)
    {
        if (task.IsRegression)
        {
            var scored = model.Transform(ml.Data.LoadFromEnumerable(RegressionRow.From(rows, TargetScaling.Identity)));
            var predicted = ml.Data.CreateEnumerable<ValuePrediction>(scored, reuseRowObject: false).Select(p => (double)p.Score).ToArray();
            return TaskScores.ForValues(task, rows.Select(r => (double)r.Target).ToArray(), predicted);
        }
        var classified = model.Transform(ml.Data.LoadFromEnumerable(ClassificationRow.From(rows)));
        var labels = ml.Data.CreateEnumerable<ClassPrediction>(classified, reuseRowObject: false).Select(p => p.PredictedLabel).ToArray();
        return TaskScores.ForClasses(task, rows.Select(r => r.Label).ToArray(), labels);
    }
}
