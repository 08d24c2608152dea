using System.Diagnostics;
using Microsoft.ML.DeltaLoRA.Training;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// Runs one trial the way a user fits: the public catalog trainer with the trial's options, then ML.NET's evaluator on the
/// validation rows. A run whose training loss turns non-finite is stopped after that step; it, a fit that throws and a model
/// with non-finite validation scores become a Failed trial with the reason. Running out of time makes a Canceled trial;
/// the user's cancellation (their token or <c>MLContext.CancelExecution()</c>) is thrown on.
/// </summary>
internal sealed class TrialRunner(MLContext ml, DeltaLoRAOptions baseOptions, SweepMetric metric, int seed, int trainingRows)
{
    public int TrainingRows => trainingRows;

    /// <summary>The options of <paramref name="configuration"/> trained for <paramref name="steps"/> optimizer steps (null: its full budget).</summary>
    public DeltaLoRAOptions OptionsFor(SweepConfiguration configuration, int? steps)
    {
        var options = (DeltaLoRAOptions)baseOptions.Clone();
        options.Method = configuration.Method;
        options.LearningRate = configuration.LearningRate;
        options.Alpha = baseOptions.Alpha / baseOptions.Rank * configuration.Rank;
        options.Rank = configuration.Rank;
        options.UpdateRatio = configuration.UpdateRatio;
        options.Epochs = configuration.Epochs;
        if (steps is not null) options.MaxSteps = steps;
        options.StartSteps = (int)Math.Round(configuration.StartStepsFraction * StepsOf(options));
        options.Seed = baseOptions.Seed ?? seed;
        return options;
    }

    /// <summary>The optimizer steps a fit with <paramref name="options"/> makes on the training rows.</summary>
    public int StepsOf(DeltaLoRAOptions options) => FineTuner.CountSteps(options, trainingRows);

    public (SweepTrial Trial, DeltaLoRATransformer? Model) Run(SweepTrial trial, IDataView train, IDataView validation,
        CancellationToken budget, CancellationToken user, Action<TrainingProgress> onStep)
    {
        // A non-finite loss needs no watching here: the trainer stops at that step with TrainingDivergedException (a failed trial).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(budget, user);
        var fitOptions = (DeltaLoRAOptions)trial.Options.Clone();
        fitOptions.CancellationToken = stop.Token;
        fitOptions.Progress = new StepSink(onStep);

        var clock = Stopwatch.StartNew();
        DeltaLoRATransformer? model = null;
        try
        {
            var trainer = metric.IsClassification()
                ? ml.MulticlassClassification.Trainers.DeltaLoRA(fitOptions)
                : ml.Regression.Trainers.DeltaLoRA(fitOptions);
            model = trainer.Fit(train);
            double value = metric.Evaluate(ml, model, validation, fitOptions.LabelColumnName);
            return (Ended(SweepTrialStatus.Completed, value, null), model);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !user.IsCancellationRequested)
        {
            model?.Dispose();
            return (Ended(SweepTrialStatus.Canceled, null, "The experiment's time ran out."), null);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return Failed($"{error.GetType().Name}: {error.Message}");
        }
        catch
        {
            model?.Dispose();
            throw;
        }

        (SweepTrial, DeltaLoRATransformer?) Failed(string reason)
        {
            model?.Dispose();
            return (Ended(SweepTrialStatus.Failed, null, reason), null);
        }

        SweepTrial Ended(SweepTrialStatus status, double? value, string? reason)
            => trial with { Status = status, Metric = value, Seconds = clock.Elapsed.TotalSeconds, FailureReason = reason };
    }

    /// <summary>Calls back on the training thread (System.Progress would post to a synchronization context).</summary>
    private sealed class StepSink(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
