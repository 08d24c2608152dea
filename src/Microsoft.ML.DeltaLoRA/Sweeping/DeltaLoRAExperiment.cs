using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Runtime;
using Microsoft.ML.DeltaLoRA.MLNet;

namespace Microsoft.ML.DeltaLoRA.Sweeping;

/// <summary>
/// A hyper-parameter sweep of the DeltaLoRA trainer, shaped like ML.NET AutoML's <c>AutoMLExperiment</c>: give the trainer's
/// options (columns, model, everything not swept), the validation data or a share of the training data to hold out, the
/// metric, a time budget and/or a trial count and a seed; <see cref="Run"/> returns the best model, its options and every trial.
/// Configurations are drawn quasi-randomly (<see cref="HaltonSequence"/>) from the <see cref="DeltaLoRASearchSpace"/> and
/// trained by successive halving (<see cref="SuccessiveHalving"/>), so that poor ones get a small share of their budget.
/// Each trial is a <c>Fit</c> of the public trainer; the same seed gives the same trials and the same best model.
/// <code>
/// var result = new DeltaLoRAExperiment(ml, new DeltaLoRAOptions { ModelPath = folder, Sentence1ColumnName = "Text" })
///     .SetValidationFraction(0.2).SetMetric(SweepMetric.MicroAccuracy).SetMaxSeconds(1800).SetSeed(1)
///     .Run(keyedTrainingData);
/// </code>
/// </summary>
public sealed class DeltaLoRAExperiment
{
    private readonly MLContext _ml;
    private readonly DeltaLoRAOptions _baseOptions;
    private IDataView? _validationData;
    private double _validationFraction = 0.2;
    private SweepMetric _metric = SweepMetric.MicroAccuracy;
    private double? _maxSeconds;
    private int? _maxTrials;
    private int? _seed;
    private DeltaLoRASearchSpace? _searchSpace;
    private SuccessiveHalving _halving = new(reductionFactor: 3, rungCount: 3);
    private IProgress<SweepProgress>? _progress;

    /// <param name="mlContext">Trials fit with its catalogs; they observe its cancellation and log to it.</param>
    /// <param name="baseOptions">Every trial starts from a copy of these. The swept options are overwritten; <c>Seed</c>, when
    /// set, seeds every trial (otherwise the experiment's seed does). <c>Progress</c> is not called: use <see cref="SetProgress"/>.</param>
    public DeltaLoRAExperiment(MLContext mlContext, DeltaLoRAOptions baseOptions)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(baseOptions);
        _ml = mlContext;
        _baseOptions = (DeltaLoRAOptions)baseOptions.Clone();
    }

    /// <summary>Rows the trials are scored on, with the training data's columns; otherwise a share of it is held out.</summary>
    public DeltaLoRAExperiment SetValidationData(IDataView validationData)
    {
        _validationData = validationData ?? throw new ArgumentNullException(nameof(validationData));
        return this;
    }

    /// <summary>Without validation data, hold out this share of the training data (split with the seed). Default 0.2.</summary>
    public DeltaLoRAExperiment SetValidationFraction(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"The validation fraction must be in (0, 1); found {fraction}.");
        _validationFraction = fraction;
        return this;
    }

    /// <summary>The validation metric to optimise; it also sets the task (classification or regression). Default micro-accuracy.</summary>
    public DeltaLoRAExperiment SetMetric(SweepMetric metric)
    {
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric), metric, $"Unknown metric {metric}.");
        _metric = metric;
        return this;
    }

    /// <summary>The time budget. When it runs out, the trial in flight stops within one optimizer step and <see cref="Run"/> returns.</summary>
    public DeltaLoRAExperiment SetMaxSeconds(double seconds)
    {
        if (!(seconds > 0 && double.IsFinite(seconds))) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"The time budget must be a positive number of seconds; found {seconds}.");
        _maxSeconds = seconds;
        return this;
    }

    /// <summary>The most trials (fits) to run, promotions included.</summary>
    public DeltaLoRAExperiment SetMaxTrials(int trials)
    {
        if (trials < 1) throw new ArgumentOutOfRangeException(nameof(trials), trials, $"The trial count must be at least 1; found {trials}.");
        _maxTrials = trials;
        return this;
    }

    /// <summary>Seeds the configurations drawn, the validation split and (unless the base options have a seed) every trial. Default: drawn from the MLContext.</summary>
    public DeltaLoRAExperiment SetSeed(int seed)
    {
        _seed = seed;
        return this;
    }

    /// <summary>The ranges to sample. Default: <see cref="DeltaLoRASearchSpace.ForModel"/> of the base options' model.</summary>
    public DeltaLoRAExperiment SetSearchSpace(DeltaLoRASearchSpace searchSpace)
    {
        _searchSpace = searchSpace ?? throw new ArgumentNullException(nameof(searchSpace));
        return this;
    }

    /// <summary>Successive halving with reduction factor η over <paramref name="rungCount"/> budgets (1 rung: plain quasi-random search). Default η 3, 3 rungs.</summary>
    public DeltaLoRAExperiment SetSuccessiveHalving(int reductionFactor, int rungCount)
    {
        _halving = new SuccessiveHalving(reductionFactor, rungCount);
        return this;
    }

    /// <summary>Receives a report when a trial starts, after each of its optimizer steps and when it ends, on the training thread.</summary>
    public DeltaLoRAExperiment SetProgress(IProgress<SweepProgress> progress)
    {
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        return this;
    }

    /// <summary>
    /// Runs trials until the time budget or the trial count is spent. <paramref name="trainData"/> is what the trainer reads: a
    /// key-typed label for classification (apply MapValueToKey first), Single for regression.
    /// </summary>
    /// <exception cref="OperationCanceledException">Canceled by <paramref name="cancellationToken"/>, the base options' token or
    /// <c>MLContext.CancelExecution()</c>; no model is returned then.</exception>
    /// <exception cref="TimeoutException">The time ran out before any trial completed.</exception>
    /// <exception cref="InvalidOperationException">Every trial of the count failed.</exception>
    public DeltaLoRAExperimentResult Run(IDataView trainData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        if (_maxSeconds is null && _maxTrials is null)
            throw new InvalidOperationException($"Give the experiment a time budget ({nameof(SetMaxSeconds)}) or a trial count ({nameof(SetMaxTrials)}), or both.");
        _baseOptions.Validate();
        var searchSpace = _searchSpace ?? DeltaLoRASearchSpace.ForModel(_baseOptions.ModelPath);
        searchSpace.Validate();

        var host = ((IHostEnvironment)_ml).Register(nameof(DeltaLoRAExperiment));
        using var channel = host.Start(nameof(Run));
        int seed = _seed ?? host.Rand.Next();
        var (train, validation) = Split(trainData, seed);
        RequireColumns(train.Schema);
        RequireColumns(validation.Schema);
        var runner = new TrialRunner(_ml, _baseOptions, _metric, seed, CountRows(train));
        var sampler = new ConfigurationSampler(searchSpace, seed);

        using var budget = _maxSeconds is { } seconds ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds)) : new CancellationTokenSource();
        using var user = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _baseOptions.CancellationToken);
        var clock = Stopwatch.StartNew();
        var trials = new List<SweepTrial>();
        SweepTrial? best = null;
        DeltaLoRATransformer? bestModel = null;
        channel.Info(Invariant($"Sweeping {_metric} (seed {seed}) on {runner.TrainingRows} training rows{Limits()}; successive halving η {_halving.ReductionFactor}, {_halving.RungCount} rung(s)."));
        try
        {
            while (trials.Count < (_maxTrials ?? int.MaxValue) && !budget.IsCancellationRequested)
            {
                if (MLNetInternals.IsCanceled(host)) throw new OperationCanceledException("The MLContext's execution was canceled.");
                user.Token.ThrowIfCancellationRequested();

                var running = NextTrial(trials.Count + 1, runner, sampler, trials);
                channel.Info(Invariant($"Trial {running.Number}: {running.Configuration}, rung {running.Rung} ({running.Steps} steps){SecondsLeft(clock)}."));
                Report(running, null, best, clock);
                var (ended, model) = runner.Run(running, train, validation, budget.Token, user.Token, step =>
                {
                    // The timer may fire late on a busy machine; the clock, read after every step, does not.
                    if (SecondsLeftOf(clock) == 0) budget.Cancel();
                    Report(running, step, best, clock);
                });
                trials.Add(ended);
                if (model is not null && ReferenceEquals(SuccessiveHalving.Best(trials, _metric), ended))
                {
                    bestModel?.Dispose();
                    (best, bestModel) = (ended, model);
                }
                else model?.Dispose();
                channel.Info(Describe(ended, best, clock));
                Report(ended, null, best, clock);
            }
        }
        catch
        {
            bestModel?.Dispose();
            throw;
        }

        if (best is null || bestModel is null)
        {
            var firstFailure = trials.FirstOrDefault(t => t.Status == SweepTrialStatus.Failed)?.FailureReason;
            var failures = firstFailure is null ? "" : $" The first failure: {firstFailure}";
            if (budget.IsCancellationRequested)
                throw new TimeoutException(Invariant($"The time budget of {_maxSeconds} s ran out before any trial completed ({trials.Count} started).{failures}"));
            throw new InvalidOperationException($"All {trials.Count} trials failed.{failures}");
        }
        channel.Info(Invariant($"Best: trial {best.Number}, {best.Configuration}, {_metric} {best.Metric:0.####}; {trials.Count} trials in {clock.Elapsed.TotalSeconds:0.0} s."));
        return new DeltaLoRAExperimentResult(bestModel, best, trials, _metric, clock.Elapsed);
    }

    /// <summary>A promotion when successive halving has one, otherwise a new configuration at rung 0; with the options it fits with.</summary>
    private SweepTrial NextTrial(int number, TrialRunner runner, ConfigurationSampler sampler, IReadOnlyList<SweepTrial> trials)
    {
        var (configuration, rung) = _halving.NextPromotion(trials, _metric) ?? (sampler.Next(), 0);
        int fullSteps = runner.StepsOf(runner.OptionsFor(configuration, steps: null));
        int steps = _halving.StepsAt(rung, fullSteps);
        var options = runner.OptionsFor(configuration, rung == _halving.TopRung ? null : steps);
        return new SweepTrial(number, configuration, rung, steps, options, SweepTrialStatus.Running, null, 0);
    }

    private (IDataView Train, IDataView Validation) Split(IDataView data, int seed)
    {
        if (_validationData is not null) return (data, _validationData);
        var split = _ml.Data.TrainTestSplit(data, _validationFraction, seed: seed);
        return (split.TrainSet, split.TestSet);
    }

    /// <summary>Stops at once on a column every trial would fail on.</summary>
    private void RequireColumns(DataViewSchema schema)
    {
        InputColumns.RequireLabel(schema, _baseOptions.LabelColumnName, _metric.IsClassification() ? PredictionTask.MulticlassClassification : PredictionTask.Regression);
        InputColumns.RequireText(schema, _baseOptions.Sentence1ColumnName, "text");
        if (_baseOptions.Sentence2ColumnName is { } second) InputColumns.RequireText(schema, second, "second text");
    }

    private static int CountRows(IDataView data)
    {
        if (data.GetRowCount() is long known) return (int)Math.Min(known, int.MaxValue);
        using var cursor = data.GetRowCursor([]);
        int rows = 0;
        while (cursor.MoveNext()) rows++;
        return rows;
    }

    private void Report(SweepTrial trial, TrainingProgress? step, SweepTrial? best, Stopwatch clock)
    {
        double elapsed = clock.Elapsed.TotalSeconds;
        _progress?.Report(new SweepProgress(trial, step, best, elapsed, _maxSeconds is { } max ? Math.Max(0, max - elapsed) : null));
    }

    private double? SecondsLeftOf(Stopwatch clock) => _maxSeconds is { } max ? Math.Max(0, max - clock.Elapsed.TotalSeconds) : null;

    private string SecondsLeft(Stopwatch clock) => SecondsLeftOf(clock) is { } left ? Invariant($", {left:0} s left") : "";

    private string Limits()
        => (_maxSeconds is { } s ? Invariant($", {s} s") : "") + (_maxTrials is { } n ? Invariant($", at most {n} trials") : "");

    private string Describe(SweepTrial trial, SweepTrial? best, Stopwatch clock)
    {
        var outcome = trial.Status == SweepTrialStatus.Completed ? Invariant($"{_metric} {trial.Metric:0.####}") : $"{trial.Status}: {trial.FailureReason}";
        var bestText = best is null ? "no best yet" : Invariant($"best so far trial {best.Number} ({_metric} {best.Metric:0.####})");
        return Invariant($"Trial {trial.Number} ended in {trial.Seconds:0.0} s, {outcome}; {bestText}{SecondsLeft(clock)}.");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
